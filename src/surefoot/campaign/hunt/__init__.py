"""Failure hunting: a safety margin, subset simulation, cross-entropy and CMA-ES search.

- :mod:`.margin`: a run's safety margin from its campaign row;
- :mod:`.space`: the standard-normal space of the dispersed inputs;
- :mod:`.subset`: P(failure) with a 95 % interval by subset simulation;
- :mod:`.cross_entropy`: the worst conditions by the cross-entropy method;
- :mod:`.cmaes`: the worst conditions by CMA-ES;
- :mod:`.flight`: margins of flown landings on the campaign machinery;
- :mod:`.driver`: a hunt folder from start to end (``surefoot hunt``).
"""
