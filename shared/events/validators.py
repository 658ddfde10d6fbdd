"""Pure checks and normalisers for the identifiers and contact details partners send us.

They live apart from the models so the registry's matching code, the FHIR translator and the
HTTP layer apply exactly the same rules as the event models. Each ``check_*`` function raises a
``PydanticCustomError`` so that, used through the ``Annotated`` types at the bottom, the error
message is ours verbatim (no "Value error, " prefix) and lands in the dead-letter reason.

Error messages name the rule, never the value (contract 6.5): an NHS number, postcode or date
of birth identifies a person as surely as an email address does, and reasons are copied into the
dead-letter topic, logs and HTTP answers that people with no need to see them can read.
"""

from __future__ import annotations

import re
import unicodedata
from operator import mul
from typing import Annotated

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import AfterValidator, BeforeValidator, WithJsonSchema
from pydantic.networks import validate_email
from pydantic_core import PydanticCustomError

_NHS_WEIGHTS = range(10, 1, -1)
_SEPARATORS = re.compile(r"[\s\-]")
_TEN_DIGITS = re.compile(r"^[0-9]{10}$")
# The forms NHS systems write an NHS number in: ten digits, or 3-3-4 groups separated by one
# space or one hyphen each (the same separator twice), as NHS Digital's display standard does.
_NHS_FORMATS = re.compile(r"^[0-9]{3}([ -])[0-9]{3}\1[0-9]{4}$")

# Royal Mail's rules for the letters allowed in each position (GOV.UK bulk data transfer
# standard, "Postcode format"), applied to the upper-cased code with its spaces removed:
# - first letter: any but Q, V, X;  second letter (AA9, AA99, AA9A): any but I, J, Z;
# - third position of A9A: A-H, J, K, P, S, T, U, W;  fourth of AA9A: A B E H M N P R V-Y;
# - the inward code's two letters: any but C, I, K, M, O, V.
# GIR 0AA is Girobank's historic non-geographic postcode, still in use.
_FIRST, _SECOND, _THIRD, _FOURTH = "[A-PR-UWYZ]", "[A-HK-Y]", "[A-HJKPSTUW]", "[ABEHMNPRV-Y]"
_INWARD = "[0-9][ABD-HJLNP-UW-Z]{2}"
_POSTCODE = re.compile(
    rf"^(?:GIR0AA|(?:{_FIRST}[0-9]{{1,2}}|{_FIRST}{_SECOND}[0-9]{{1,2}}|{_FIRST}[0-9]{_THIRD}"
    rf"|{_FIRST}{_SECOND}[0-9]{_FOURTH}){_INWARD})$"
)
# British Forces Post Office numbers ("BFPO 801"); newer forces addresses use BF1 postcodes,
# which the pattern above already accepts.
_BFPO = re.compile(r"^BFPO([0-9]{1,4})$")
# BF is the forces' own postcode area and has one district only, BF1 (BF2 4BB is not a postcode).
_FORCES_AREA = re.compile(r"^BF[0-9]")

# Ofcom's UK mobile ranges: 071-075, 077-079 and 07624 (Isle of Man). 070 (personal numbers)
# and the rest of 076 (pagers) look like mobiles but cannot be relied on to receive an SMS.
_UK_MOBILE_NATIONAL = re.compile(r"^7(?:[1-57-9][0-9]{8}|624[0-9]{6})$")
_MOBILE_PUNCTUATION = re.compile(r"[\s\-().]")
_TRUNK_ZERO_IN_BRACKETS = re.compile(r"^(\+44|0044)\s*\(0\)")
_WHITESPACE_RUN = re.compile(r"\s+")


# --- NHS number ---------------------------------------------------------------------------


def normalise_nhs_number(s: str) -> str:
    """An NHS number as ten digits ("943 476 5919" or "943-476-5919" -> "9434765919").

    Only the forms NHS systems use are read (ten digits, or 3-3-4 with spaces or hyphens, and
    surrounding spaces); anything else is returned unchanged, so a value with separators in
    odd places or letters in it stays invalid rather than being "repaired" into someone
    else's number.
    """
    trimmed = s.strip()
    if _NHS_FORMATS.match(trimmed):
        return _SEPARATORS.sub("", trimmed)
    return trimmed


def _nhs_check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits, or None when the algorithm gives 10.

    Weights run 10 down to 2; check = 11 - (sum mod 11), where 11 becomes 0 and 10 means no
    number with these nine digits can be valid.
    """
    total = sum(map(mul, map(int, first_nine), _NHS_WEIGHTS))
    check = 11 - (total % 11)
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_valid_nhs_number(s: str) -> bool:
    """True when ``s`` is an NHS number in one of the accepted forms and passes Modulus 11."""
    digits = normalise_nhs_number(s)
    if not _TEN_DIGITS.match(digits):
        return False
    expected = _nhs_check_digit(digits[:9])
    return expected is not None and expected == int(digits[9])


def nhs_number_text(value: object) -> object:
    """Refuse an NHS number sent as a JSON number, naming the rule.

    A number loses leading zeros (Scottish CHI numbers start with 0) and pydantic's own
    message ("Input should be a valid string") does not say what the field must hold.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PydanticCustomError(
            "nhs_number", "an NHS number must be sent as a JSON string, not a number"
        )
    return value


def check_nhs_number(s: str) -> str:
    """Normalise an NHS number or raise an error naming the rule it broke (never the value)."""
    if len(s) == 10 and s.isascii() and s.isdigit():  # the usual case: already ten digits
        expected = _nhs_check_digit(s[:9])
        if expected is not None and expected == ord(s[9]) - 48:
            return s
    digits = normalise_nhs_number(s)
    if not _TEN_DIGITS.match(digits):
        raise PydanticCustomError(
            "nhs_number",
            "is not an NHS number: it must be 10 digits (or 3-3-4 separated by spaces or hyphens)",
        )
    if not is_valid_nhs_number(digits):
        raise PydanticCustomError("nhs_number", "fails the NHS number Modulus 11 check")
    return digits


# --- Postcode -----------------------------------------------------------------------------


def _is_postcode(compact: str) -> bool:
    return bool(_POSTCODE.match(compact)) and (
        not _FORCES_AREA.match(compact) or compact.startswith("BF1")
    )


def is_valid_uk_postcode(s: str) -> bool:
    """True for a UK postcode Royal Mail's format rules allow (any case and spacing), GIR 0AA
    or BFPO n."""
    compact = _WHITESPACE_RUN.sub("", s).upper()
    return _is_postcode(compact) or bool(_BFPO.match(compact))


def normalise_postcode(s: str) -> str:
    """Canonical form "LE1 6ZG": upper case, one space before the three-character inward code.

    Raises ValueError for something that is not a UK postcode, so a caller can never store a
    "normalised" value that is not one.
    """
    compact = _WHITESPACE_RUN.sub("", s).upper()
    bfpo = _BFPO.match(compact)
    if bfpo:
        return f"BFPO {bfpo.group(1)}"
    if not _is_postcode(compact):
        raise ValueError("is not a valid UK postcode")
    return f"{compact[:-3]} {compact[-3:]}"


def check_postcode(s: str) -> str:
    """Normalise a postcode or raise an error naming the rule (not the postcode: with a date of
    birth it narrows a person down to a handful of households)."""
    try:
        return normalise_postcode(s)
    except ValueError:
        raise PydanticCustomError(
            "uk_postcode",
            "is not a valid UK postcode (letters or digits in positions Royal Mail does not use)",
        ) from None


# --- Mobile -------------------------------------------------------------------------------


def normalise_uk_mobile(s: str) -> str:
    """Canonical national form "07700900123" from 07..., +447..., 00447... or +44 (0)7...

    Spaces, hyphens, dots and brackets are ignored. Landlines, 070 personal numbers and pagers
    raise ValueError; the message deliberately does not repeat the number.
    """
    compact = _MOBILE_PUNCTUATION.sub("", _TRUNK_ZERO_IN_BRACKETS.sub(r"\1", s.strip()))
    if compact.startswith("+44"):
        national = compact[3:]
    elif compact.startswith("0044"):
        national = compact[4:]
    elif compact.startswith("0"):
        national = compact[1:]
    else:
        raise ValueError("is not a valid UK mobile number")
    if not _UK_MOBILE_NATIONAL.match(national):
        raise ValueError("is not a valid UK mobile number")
    return "0" + national


def check_uk_mobile(s: str) -> str:
    """Normalise a mobile number or raise an error that does not echo it."""
    try:
        return normalise_uk_mobile(s)
    except ValueError:
        raise PydanticCustomError("uk_mobile", "is not a valid UK mobile number") from None


# --- Names --------------------------------------------------------------------------------


def normalise_name_for_matching(s: str) -> str:
    """The form of a name used only to compare demographics (contract 4.1).

    Case is folded and whitespace trimmed and collapsed. Accents, apostrophes and hyphens are
    kept: "Siân" and "Sian" may be different people, and the stored name is never altered.
    Unicode NFC composition is applied so that "â" typed as one code point or as "a" plus a
    combining circumflex compares equal; that changes no visible character.
    """
    composed = unicodedata.normalize("NFC", s)
    return _WHITESPACE_RUN.sub(" ", composed.casefold().strip())


def check_not_blank(s: str) -> str:
    """Reject empty or whitespace-only text but return the text exactly as sent."""
    if not s.strip():
        raise PydanticCustomError("blank", "must not be empty or only spaces")
    return s


def blank_to_none(value: object) -> object:
    """Treat "" or "   " in an optional field as absent, as forms and CSV exports send them."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


# --- Email -------------------------------------------------------------------------------

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PLAIN_EMAIL = re.compile(
    rf"(?P<local>{_ATEXT}(?:\.{_ATEXT})*)@(?P<domain>(?:{_LABEL}\.)+[a-z]{{2,63}})", re.ASCII
)
_SPECIAL_USE = frozenset(SPECIAL_USE_DOMAIN_NAMES)
_SPECIAL_USE_SUFFIXES = tuple("." + d for d in SPECIAL_USE_DOMAIN_NAMES if "." in d)


def check_email(s: str) -> str:
    """An email address as pydantic's ``EmailStr`` checks and normalises it, but quicker.

    ``email_validator`` (behind ``EmailStr``) costs about 50 microseconds an address: a
    sizeable share of ingest at thousands of identifications a second. Most addresses are
    plain ASCII ``local@domain.tld``; for those a strict pattern decides, giving the same
    normalised value (domain lower-cased, local part kept). Anything else - Unicode, quoted
    or "Name <address>" forms, ``--`` in the domain (IDNA rules), special-use domains, long
    addresses - goes to ``email_validator`` itself. The fast path only ever accepts what the
    library accepts; a unit test compares the two over a corpus of awkward addresses.
    """
    if len(s) <= 254:
        at = s.rfind("@")
        if 0 < at <= 64:
            domain = s[at + 1 :].lower()
            if (
                "--" not in domain
                and _PLAIN_EMAIL.fullmatch(s[:at] + "@" + domain)
                and domain.rsplit(".", 1)[-1] not in _SPECIAL_USE
                and not domain.endswith(_SPECIAL_USE_SUFFIXES)
            ):
                return s[:at] + "@" + domain
    return validate_email(s)[1]


Email = Annotated[
    str, AfterValidator(check_email), WithJsonSchema({"type": "string", "format": "email"})
]
"""An email address, normalised as ``EmailStr`` normalises it."""

NhsNumber = Annotated[str, BeforeValidator(nhs_number_text), AfterValidator(check_nhs_number)]
"""Ten digits passing Modulus 11; the 3-3-4 forms with spaces or hyphens accepted and removed."""

UkPostcode = Annotated[str, AfterValidator(check_postcode)]
"""A UK postcode in canonical "LE1 6ZG" form."""

UkMobile = Annotated[str, AfterValidator(check_uk_mobile)]
"""A UK mobile number in canonical "07700900123" form."""

NonBlankStr = Annotated[str, AfterValidator(check_not_blank)]
"""Text kept exactly as sent that must contain something other than whitespace."""

BlankIsNone = BeforeValidator(blank_to_none)
"""Add to an optional field's Annotated metadata so an empty string means absent."""
