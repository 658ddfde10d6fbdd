"""Which council district a postcode district (outward code, such as LE3) is in.

The council supplies the table as a CSV (``MONITORING_DISTRICTS_CSV``) with the columns
``postcode_district,district``; the sample shipped in ``services/monitoring/data`` is only a
sample (a few Leicestershire outward codes), not the council's table. An outward code that
spans two districts is given to the one the council chooses: the CSV is the authority.
"""

from __future__ import annotations

import csv
import io


class DistrictTableError(ValueError):
    """The CSV cannot be used; the message names the line and column."""


def parse_districts(text: str) -> dict[str, str]:
    """``{"LE3": "Blaby", ...}`` from the CSV text; outward codes upper-cased, spaces removed."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    wanted = {"postcode_district", "district"}
    if not reader.fieldnames or not wanted <= {f.strip() for f in reader.fieldnames}:
        raise DistrictTableError("districts CSV: needs the columns postcode_district,district")
    table: dict[str, str] = {}
    for line, row in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        outward = row["postcode_district"].replace(" ", "").upper()
        if not outward or not row["district"]:
            raise DistrictTableError(f"districts CSV line {line}: both columns must be filled")
        if outward in table and table[outward] != row["district"]:
            raise DistrictTableError(
                f"districts CSV line {line}: postcode_district {outward} is given two districts"
            )
        table[outward] = row["district"]
    return table


def outward_code(postcode: str | None) -> str | None:
    """ "LE3 8RA" -> "LE3" (postcodes are published normalised, with one space)."""
    if not postcode or " " not in postcode.strip():
        return None
    return postcode.strip().split(" ", 1)[0].upper()
