"""The fault campaign (`make reliability`, `manage.py reliability`): many export jobs end to end
against the sandboxes over real HTTP, with the web app and real django-q2 worker processes in
subprocesses, faults injected on both services at random but reproducibly from a seed, and the
sandboxes' final state compared with what must be there.
"""
