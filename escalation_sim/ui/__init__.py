"""The trainer UI (``escalation-sim ui``): a Solara page over :class:`EscalationModel`.

``session`` (the run as scenario + seed + injects, replayed on every change), ``figures``
(matplotlib) and ``uploads`` hold the logic and need no browser; ``app`` is the page.
"""
