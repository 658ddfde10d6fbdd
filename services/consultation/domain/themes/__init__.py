"""Free-text themes: the nine themes of the committee report and new ones found by clustering.

- :mod:`catalogue`: the nine themes (paragraph 22) and their cue phrases;
- :mod:`features`: negation and "dismissal" (a theme named only to say it is not the problem);
- :mod:`wordpiece`, :mod:`semantic`: an answer's meaning as a vector (MiniLM word pieces);
- :mod:`classifier`: TF-IDF plus cue features and meaning vectors, regressions per theme,
  averaged, explained, with a confidence per answer;
- :mod:`learning`: officers' corrections as training examples;
- :mod:`emergent`: clusters of answers no known theme fits, with example quotes;
- :mod:`review`: an officer's sign-off before any theme reaches a report.
"""

THEME_IDS: tuple[str, ...] = (
    "recognition",
    "respite",
    "loneliness",
    "information",
    "out_of_hours",
    "support_groups",
    "cost",
    "health_access",
    "young_carers",
)
