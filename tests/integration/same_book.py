#!/usr/bin/env python3
"""same_book.py OLD.json < NEW.json — what a folder of an older version printed
(tests/fixtures/*/*.json) and what this version prints for the same folder say
the same about the book. This version adds, for a field of several items
(phone, email, address: docs/merge.md), the whole list beside the preferred
value ("phones": [...]), and merges two concurrent heads of such a field into
the list instead of listing a conflict. So: every record's fields, the other
conflicts, ids and times must be equal; a multi field's list must hold its old
value (and, where the old version listed a conflict on it, the losing value
too), its single value must be the old winner. Exit 1 with the difference."""
import json
import sys

MULTI = {"phone": "phones", "email": "emails", "address": "addresses"}


def fail(msg):
    print("same_book: " + msg, file=sys.stderr)
    sys.exit(1)


def same_record(old, new):
    old, new = dict(old), dict(new)
    of, nf = dict(old.pop("fields")), dict(new.pop("fields"))
    oc = old.pop("conflicts", [])
    nc = new.pop("conflicts", [])
    merged = {c["field"]: c for c in oc if c["field"] in MULTI}
    for one, many in MULTI.items():
        items = nf.pop(many, None)
        if one not in of:
            if items or one in nf:
                fail("%s: %s appeared: %s" % (old.get("id"), one, items))
            continue
        values = [i["value"] for i in items or []]
        want = [of[one]] + ([merged[one]["value"]] if one in merged else [])
        if sorted(values) != sorted(want):
            fail("%s: %s %s, not %s" % (old.get("id"), many, values, want))
    if of != nf:
        fail("%s: fields %s, not %s" % (old.get("id"), nf, of))
    rest = [c for c in oc if c["field"] not in MULTI]
    if rest != nc:
        fail("%s: conflicts %s, not %s" % (old.get("id"), nc, rest))
    if old != new:
        fail("record %s, not %s" % (new, old))


def same(old, new):
    if isinstance(old, dict) and "fields" in old and "id" in old:
        same_record(old, new)
    elif isinstance(old, dict):
        if set(old) != set(new):
            fail("keys %s, not %s" % (sorted(new), sorted(old)))
        for k in old:
            same(old[k], new[k])
    elif isinstance(old, list):
        if len(old) != len(new):
            fail("%d items, not %d" % (len(new), len(old)))
        for a, b in zip(old, new):
            same(a, b)
    elif old != new:
        fail("%r, not %r" % (new, old))


same(json.load(open(sys.argv[1], encoding="utf-8")), json.load(sys.stdin))
