"""The web view of a landing: a 3-D lander over its terrain with strip charts, a
phase timeline and the event log, as one self-contained HTML page
(:mod:`surefoot.view.page`) built from a run folder (:mod:`surefoot.view.data`),
served locally (:mod:`surefoot.view.server`) or exported to a file."""
