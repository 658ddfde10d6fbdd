"""Email and SMS providers behind one port (:mod:`.base`): SMTP and GOV.UK Notify."""
