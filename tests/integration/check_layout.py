#!/usr/bin/env python3
"""Check that a book holds the two people of tests/data/import/csv in the
right fields: `check_layout.py LAYOUT contacts.json companies.json`.
Each layout carries what its program exports (LinkedIn has no phones)."""
import json
import sys

layout, contacts, companies = sys.argv[1], sys.argv[2], sys.argv[3]
people = {r['fields']['name']: r['fields'] for r in json.load(open(contacts))['items']}
company_names = {r['id']: r['fields']['name'] for r in json.load(open(companies))['items']}

ANA, JEAN = 'Ana-Maria Popescu', 'Jean Dupont'
ana_emails = {'ana.popescu@acme.example', 'ana.home@mail.example'}
ana_phones = {'+40 753 624 162', '+40 21 300 4000'}
want = {
    ANA: dict(company='Acme SRL', title='Sales Director', emails=ana_emails, phones=ana_phones,
              notes='Met at the Bucharest expo.', birthday='1970-03-14'),
    JEAN: dict(company='Globex', title='Buyer', emails={'jean.dupont@globex.example'},
               phones={'+33 1 42 68 53 00'}, notes='Prefers email.'),
}
if layout == 'linkedin':
    want[ANA].update(emails={'ana.popescu@acme.example'}, phones=set(), notes='Connected On: 14 Mar 2023')
    want[JEAN].update(emails=set(), phones=set(), notes='Connected On: 02 Sep 2024')
    del want[ANA]['birthday']
if layout == 'hubspot':
    want[ANA].update(emails={'ana.popescu@acme.example'}, notes='Lifecycle Stage: customer')
    want[JEAN]['notes'] = 'Lifecycle Stage: lead'
    del want[ANA]['birthday']
if layout == 'salesforce':
    want[ANA]['emails'] = {'ana.popescu@acme.example'}
if layout == 'pipedrive':  # its people export has no job title
    del want[ANA]['birthday']
    want[ANA]['title'] = want[JEAN]['title'] = None

problems = []
if set(people) != set(want):
    problems.append('people: %s' % sorted(people))
for name, w in want.items():
    f = people.get(name)
    if not f:
        continue
    items = lambda many: {i['value'] for i in f.get(many, [])}
    got = dict(company=company_names.get(f.get('company')), title=f.get('title'),
               emails=items('emails'), phones=items('phones'))
    for k in ('company', 'title', 'emails', 'phones'):
        if got[k] != w[k]:
            problems.append('%s %s: %r, want %r' % (name, k, got[k], w[k]))
    if w['notes'] not in f.get('notes', ''):
        problems.append('%s notes: %r lacks %r' % (name, f.get('notes'), w['notes']))
    if 'birthday' in w and f.get('birthday') != w['birthday']:
        problems.append('%s birthday: %r' % (name, f.get('birthday')))
if layout in ('google', 'outlook', 'thunderbird', 'hubspot', 'salesforce'):
    if people.get(ANA, {}).get('city') != 'București':
        problems.append('Ana city: %r' % people.get(ANA, {}).get('city'))
if layout in ('google', 'google-legacy', 'outlook', 'pipedrive'):
    if people.get(ANA, {}).get('tags') != 'Clients':
        problems.append('Ana tags: %r' % people.get(ANA, {}).get('tags'))
# what address books hold beside the contract's fields (issue 16); first and
# last names that are only the name split at its last space are not kept
for name in want:
    f = people.get(name, {})
    if f.get('given_name') or f.get('family_name'):
        problems.append('%s given/family kept: %r %r' % (name, f.get('given_name'), f.get('family_name')))
ana = people.get(ANA, {})
extra = {'nickname': 'Ana', 'department': 'Export'} if layout in ('google', 'thunderbird') else \
        {'department': 'Export'} if layout == 'outlook' else {}
for k, v in extra.items():
    if ana.get(k) != v:
        problems.append('Ana %s: %r' % (k, ana.get(k)))
profiles = {'google': {ANA: 'https://www.linkedin.com/in/ana-popescu-example'},
            'linkedin': {ANA: 'https://www.linkedin.com/in/ana-popescu-example',
                         JEAN: 'https://www.linkedin.com/in/jean-dupont-example'}}.get(layout, {})
for name in want:
    got = [i['value'] for i in people.get(name, {}).get('profiles', [])]
    if got != ([profiles[name]] if name in profiles else []):
        problems.append('%s profiles: %r' % (name, got))
if problems:
    sys.exit(layout + ': ' + '; '.join(problems))
