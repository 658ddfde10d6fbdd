"""Codes a FHIR message uses for relationships and needs, and what they mean in
``carer.identified``. Split from ``adapters.fhir``: tables, no logic."""

from __future__ import annotations

# v3-RoleCode says what the RelatedPerson is *to the Patient*. Our Patient is the carer, so
# that is the cared-for person's relationship as carer.identified states it ("parent": the
# carer looks after a parent).
_ROLE_GROUPS = {
    "parent": "PRN MTH FTH NPRN NMTH NFTH STPPRN STPMTH STPFTH ADOPTP",
    "child": "CHILD SON DAU NCHILD SONC DAUC STPCHLD STPSON STPDAU CHLDADOPT CHLDFOST",
    "spouse_or_partner": "SPS HUSB WIFE DOMPART SIGOTHR",
    "sibling": "SIB BRO SIS NSIB NBRO NSIS HSIB HBRO HSIS STPSIB STPBRO STPSIS TWIN",
    "grandparent": "GRPRN GRMTH GRFTH MGRPRN PGRPRN MGRMTH MGRFTH PGRMTH PGRFTH GGRPRN",
    "grandchild": "GRNDCHILD GRNDSON GRNDDAU",
    "other_relative": "FAMMEMB EXT AUNT UNCLE COUSN NIECE NEPHEW NIENEPH INLAW CHLDINLAW",
    "friend": "FRND",
    "neighbour": "NBOR",
}
RELATIONSHIPS = {code: rel for rel, codes in _ROLE_GROUPS.items() for code in codes.split()}
# A UK Core "Carer" RelatedPerson is the other way round: it is the carer, its patient the
# cared-for person, and its codes say what the carer is to them (CHILD: cares for a parent).
INVERSE = dict(parent="child", child="parent", grandparent="grandchild", grandchild="grandparent")
# FHIR has no element for the cared-for person's needs; "caregiver of a person with ..."
# codes say what they are. Any other carer code gives needs ["other"].
NEEDS_BY_CODE = {
    "413759008": "substance_misuse",
    "413760003": "long_term_illness",
    "413761004": "learning_disability",
    "413762006": "mental_health",
    "413763001": "physical_disability",
    "413764007": "sensory_impairment",
    "413765008": "substance_misuse",
}
