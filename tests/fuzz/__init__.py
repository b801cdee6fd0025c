"""The bad-input corpus: generated cases run through the real ``bienphong`` entry point.

``cases.all_cases()`` builds every case (files to create, argv, expected outcome);
``harness.run_case`` creates the files, runs ``inference.cli.main`` in-process and
checks what every bad input must get: the expected exit code, one ``error:`` line
naming the place (exit 2), no traceback, no output or part file left behind on
exit 2, every input byte-for-byte unchanged and the fake API key nowhere.
"""
