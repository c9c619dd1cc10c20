"""`ovn-provider audit`: a read-only check of the NB layout the provider relies on
(docs/nb-layout.md, docs/routers.md, docs/security-groups.md; docs/audit.md lists the
checks)."""
