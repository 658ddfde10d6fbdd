"""One-time codes are never kept in a form staff or logs can read (contract 6.5).

A sign-in code message is stored with the code replaced by :data:`CODE_WITHHELD`, so the
send record staff see through ``GET /notifications`` (and any database dump or backup) says
a code was sent without holding it. The dispatcher puts the code back into the text only in
memory, just before handing the message to the provider, and takes it out again of anything
the provider says back (a failure reason is stored and shown to staff).

Pure string rules; the code itself is derived from the challenge id where it is needed
(``shared.signin_code``).
"""

from __future__ import annotations

CODE_WITHHELD = "[code hidden]"


def withhold(text: str, code: str) -> str:
    """``text`` with the code taken out (a provider's reason may repeat the message)."""
    return text.replace(code, CODE_WITHHELD) if code else text


def reveal(text: str, code: str) -> str:
    """The stored text with the code put back, for the provider only."""
    return text.replace(CODE_WITHHELD, code)
