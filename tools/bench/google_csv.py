#!/usr/bin/env python3
"""Write N contacts in Google Contacts' CSV layout (the header of
tests/data/import/csv/google.csv), every email and phone unique, 2,000
companies: the input of the import figure in docs/performance.md.

    tools/bench/google_csv.py 100000 > /tmp/google.csv
    time clientele --data /tmp/book import /tmp/google.csv
"""
import os
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
here = os.path.dirname(os.path.abspath(__file__))
header = open(os.path.join(here, '../../tests/data/import/csv/google.csv'), encoding='utf-8').readline().rstrip('\n')
cols = header.split(',')
at = {c: i for i, c in enumerate(cols)}
first = ['Ana', 'Ion', 'Maria', 'Andrei', 'Elena', 'Mihai', 'Ioana', 'Radu', 'Claire', 'Jean', 'Luc', 'Sophie']
last = ['Popescu', 'Ionescu', 'Dumitru', 'Stan', 'Dupont', 'Martin', 'Bernard', 'Moreau', 'Lefèvre', 'Țăranu']
rnd = random.Random(7)
out = sys.stdout
out.write(header + '\n')
for i in range(n):
    r = [''] * len(cols)
    r[at['First Name']] = rnd.choice(first)
    r[at['Last Name']] = '%s%d' % (rnd.choice(last), i)
    r[at['Organization Name']] = 'Company %d' % (i % 2000)
    r[at['Organization Title']] = 'Buyer'
    r[at['E-mail 1 - Label']] = '* Work'
    r[at['E-mail 1 - Value']] = 'p%d@example.com' % i
    r[at['Phone 1 - Label']] = 'Mobile'
    r[at['Phone 1 - Value']] = '+40 7%02d %03d %03d' % (i // 10000, (i // 100) % 100, i % 100 * 10 + 1)
    r[at['Notes']] = 'Imported row %d' % i
    r[at['Labels']] = '* myContacts ::: Clients'
    r[at['Address 1 - Street']] = 'Str. Mare %d' % (i % 300)
    r[at['Address 1 - City']] = 'Cluj'
    out.write(','.join(r) + '\n')
