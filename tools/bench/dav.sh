#!/bin/sh
# The CardDAV address book of a big book (docs/dav.md), asked as a client
# asks it: a book of N contacts (tests/tools/fill.c, or with --csv the
# Google-layout CSV of tools/bench/google_csv.py through `clientele import`:
# its 2,000 companies are cards too), a real `clientele serve` on loopback, an
# app password from `clientele dav add`, one keep-alive connection; then
#   first download  sync-collection with an empty token asking getetag (every
#                   href and ETag), then addressbook-multiget of BATCH hrefs
#                   asking getetag and address-data until every card is read:
#                   the time of the requests (sent to last byte read), the wall
#                   time with the client's parsing, bytes received; every card
#                   checked against the listing and counted against `export`;
#   in one request  sync-collection with an empty token asking getetag and
#                   address-data: its time and bytes;
#   incremental     RUNS times: 10 contacts edited with `clientele put` while
#                   serve runs, then sync-collection with the previous token
#                   asking getetag, which must list exactly those 10 cards with
#                   new ETags: the median and the slowest, in ms, as the first
#                   request of a new connection, and again as a client that
#                   asks getctag first sends it: after a PROPFIND on the same
#                   connection (which also pays what TCP adds between a
#                   server's small writes, Nagle's algorithm waiting on the
#                   client's delayed ACK, unless the server sets TCP_NODELAY).
# Targets: the first download within 5 s, a sync of 10 changes within 20 ms.
# The figures are printed whatever they are; a wrong answer fails (exit 1).
#
#   tools/bench/dav.sh [--build DIR] [--records N] [--runs R] [--batch B] [--csv]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build="$here/../../build-rel"
n=100000
runs=21
batch=500
csv=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --records) n=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --csv) csv=1; shift ;;
    *) echo "usage: $0 [--build DIR] [--records N] [--runs R] [--batch B] [--csv]" >&2; exit 2 ;;
  esac
done
[ "$n" -ge 10 ] && [ "$runs" -ge 1 ] && [ "$batch" -ge 1 ] && [ "$batch" -le 10000 ] ||
  { echo "$0: --records must be at least 10, --runs at least 1, --batch 1 to 10000 (the server's href limit)" >&2; exit 2; }
bin="$build/clientele"; fill="$build/tests/clientele-fill"
[ -x "$bin" ] && { [ "$csv" = 1 ] || [ -x "$fill" ]; } || { echo "$0: no $bin or $fill (build first)" >&2; exit 1; }
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
"$bin" --data "$work/d" init --name bench >/dev/null
if [ "$csv" = 1 ]; then
  python3 "$here/google_csv.py" "$n" >"$work/book.csv"
  "$bin" --data "$work/d" import "$work/book.csv" >/dev/null 2>"$work/import.log" ||
    { cat "$work/import.log" >&2; exit 1; }
  rm -f "$work/book.csv"
else
  "$fill" "$work/d" "$n" >/dev/null
fi
cards=$( { "$bin" --data "$work/d" export --format vcard --type contact
            "$bin" --data "$work/d" export --format vcard --type company; } | grep -c '^BEGIN:VCARD')
pw=$("$bin" --data "$work/d" dav add bench | sed -n 's/^  password: *//p')
[ -n "$pw" ] || { echo "'clientele dav add' printed no password" >&2; exit 1; }
ui=$(free_port); peers=$(free_port)
"$bin" --data "$work/d" serve --ui "127.0.0.1:$ui" --listen "127.0.0.1:$peers" --no-discovery \
  --sync-interval 3600 >"$work/serve.log" 2>&1 &
pid=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$ui/"; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "serve did not start: $(cat "$work/serve.log")" >&2; exit 1; }; sleep 0.1
done
python3 - "$ui" "$pw" "$bin" "$work/d" "$n" "$cards" "$runs" "$batch" "$csv" <<'EOF'
import base64, html, http.client, re, subprocess, sys, time
from urllib.parse import unquote

port, pw, cli, data = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
n, cards, runs, batch, csv = (int(a) for a in sys.argv[5:10])
COLL = '/dav/contacts/'
HEAD = {'Authorization': 'Basic ' + base64.b64encode(('bench:' + pw).encode()).decode(),
        'Content-Type': 'application/xml; charset=utf-8'}

def connect():
    return http.client.HTTPConnection('127.0.0.1', port, timeout=600)  # Host: 127.0.0.1:PORT


def fail(msg):
    print('dav.sh: ' + msg, file=sys.stderr)
    sys.exit(1)


class Client:
    """One connection, kept alive; when the server has closed it while it sat
    idle (civetweb's keep_alive_timeout_ms), the request is sent again on a
    new one, as clients do. reconnects counts those."""
    def __init__(self):
        self.c, self.used, self.reconnects = connect(), False, 0

    def ask(self, method, body, depth, want=207):
        """(answer, seconds from sending to its last byte)"""
        for again in (False, True):
            start = time.perf_counter()
            try:
                self.c.request(method, COLL, body=body.encode(), headers=dict(HEAD, Depth=depth))
                r = self.c.getresponse()
                answer = r.read()
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                if again or not self.used:
                    raise
                self.c.close()
                self.c, self.reconnects = connect(), self.reconnects + 1
                continue
            took = time.perf_counter() - start
            self.used = True
            if r.status != want:
                fail('%s answered %d: %s' % (method, r.status, answer[:600]))
            return answer, took

    def close(self):
        self.c.close()


# any prefix (the answer's own are d: and card:); the parsing is plain string
# work, kept cheap: it is the client's share of the wall time
P = r'(?:[\w.-]+:)?'
FIRST = re.compile(r'<([\w.-]+:)?response>')
HREF = re.compile(r'<%shref>([^<]*)</%shref>' % (P, P))
ETAG = re.compile(r'<%sgetetag>([^<]*)</%sgetetag>' % (P, P))
DATA = re.compile(r'<%saddress-data>([^<]*)</%saddress-data>' % (P, P))
TOKEN = re.compile(r'<%ssync-token>([^<]*)</%ssync-token>' % (P, P))
GONE = re.compile(r'<%sstatus>HTTP/1.1 404' % P)


def cards_of(answer, want_data):
    """({href: (etag, card or None)}, the sync-token) of a multistatus;
    fails on a card not told 200 with what was asked."""
    text = answer.decode('utf-8')
    out = {}
    first = FIRST.search(text)
    tail = text
    if first:
        d = first.group(1) or ''
        close = '</%sresponse>' % d
        parts = text[first.start():].split('<%sresponse>' % d)[1:]
        for k, part in enumerate(parts):
            r, _, rest = part.partition(close)
            if k == len(parts) - 1:
                tail = rest
            h = HREF.match(r)
            if not h:
                fail('a response without an href: ' + r[:300])
            href = html.unescape(h.group(1))
            if GONE.match(r, h.end()):
                fail('%s is told as gone (404)' % href)
            e, dt = ETAG.search(r, h.end()), DATA.search(r, h.end()) if want_data else None
            if not e or (want_data and not dt):
                fail('%s lacks its getetag%s: %s' % (href, ' or address-data' if want_data else '', r[:400]))
            card = dt.group(1) if dt else None  # escaped, as it came (BEGIN/END need no unescaping)
            if card is not None and not (card.startswith('BEGIN:VCARD') and card.rstrip().endswith('END:VCARD')):
                fail('%s: address-data is not a vCard: %s' % (href, card[:200]))
            if href in out:
                fail('%s is told twice' % href)
            out[href] = (html.unescape(e.group(1)), card)
    t = TOKEN.findall(tail)
    return out, html.unescape(t[-1]) if t else None


def sync_body(token, data):
    return ('<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:" '
            'xmlns:card="urn:ietf:params:xml:ns:carddav"><d:sync-token>%s</d:sync-token>'
            '<d:sync-level>1</d:sync-level><d:prop><d:getetag/>%s</d:prop></d:sync-collection>'
            % (html.escape(token or ''), '<card:address-data/>' if data else ''))


def multiget_body(hrefs):
    return ('<?xml version="1.0" encoding="utf-8"?><card:addressbook-multiget xmlns:d="DAV:" '
            'xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><card:address-data/></d:prop>'
            + ''.join('<d:href>%s</d:href>' % html.escape(h) for h in hrefs) + '</card:addressbook-multiget>')


# ----- 1. the first download: the listing, then multiget in batches
client = Client()
wall = time.perf_counter()
answer, t_list = client.ask('REPORT', sync_body('', False), '0')
got = len(answer)
listing, token = cards_of(answer, False)
if not token:
    fail('the listing carries no sync-token')
if len(listing) != cards:
    fail('the listing holds %d cards, the book exports %d' % (len(listing), cards))
hrefs = list(listing)
book = {}
t_multi, slowest_batch, batches = 0.0, 0.0, 0
for i in range(0, len(hrefs), batch):
    part = hrefs[i:i + batch]
    answer, took = client.ask('REPORT', multiget_body(part), '1')
    got += len(answer)
    t_multi += took
    slowest_batch = max(slowest_batch, took)
    batches += 1
    read, _ = cards_of(answer, True)
    if set(read) != set(part):
        fail('a multiget of %d hrefs answered %d, %d of them not asked'
             % (len(part), len(read), len(set(read) - set(part))))
    for h, (etag, card) in read.items():
        if etag != listing[h][0]:
            fail('%s: the multiget ETag %s is not the listing\'s %s' % (h, etag, listing[h][0]))
        book[h] = (etag, card)
wall = time.perf_counter() - wall
if len(book) != cards:
    fail('the download read %d cards of %d' % (len(book), cards))

# ----- the same in one request
answer, t_one = client.ask('REPORT', sync_body('', True), '0')
one, one_token = cards_of(answer, True)
if set(one) != set(book) or any(one[h][0] != book[h][0] for h in book):
    fail('the one-request download differs from the listing and multigets (%d cards)' % len(one))
if one_token != token:
    fail('nothing changed, yet the token went from %s to %s' % (token, one_token))
one_bytes = len(answer)
del one, answer

# ----- 2. incremental: 10 contacts edited, then the changes since the token,
# asked as the first request of a new connection (a client syncing now and
# then), and again on that connection after the PROPFIND of getctag that
# clients send first (DAVx5, Thunderbird): the second request of a connection
etags = {h: e for h, (e, _) in book.items()}
contacts = sorted(h for h, (_, card) in book.items() if not re.search(r'^KIND:org', card, re.M | re.I))
del book
stride = max(1, len(contacts) // (10 * runs + 10))
CTAG = ('<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/">'
        '<d:prop><cs:getctag/><d:sync-token/></d:prop></d:propfind>')
times, after = [], []
for run in range(runs):
    edited = {contacts[(run * 10 + j) * stride % len(contacts)] for j in range(10)}
    if len(edited) != 10:
        fail('fewer than 10 distinct contacts to edit')
    for j, h in enumerate(sorted(edited)):
        rid = unquote(h.rsplit('/', 1)[1])[:-len('.vcf')]
        subprocess.run([cli, '--data', data, 'put', 'contact', rid, 'title=bench %d.%d' % (run, j)],
                       check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    c = Client()
    answer, took = c.ask('REPORT', sync_body(token, False), '0')
    times.append(took)
    changed, new_token = cards_of(answer, False)
    if set(changed) != edited:
        fail('run %d: sync-collection since %s lists %d cards, not the 10 edited (%d missing, %d more)'
             % (run + 1, token, len(changed), len(edited - set(changed)), len(set(changed) - edited)))
    for h, (etag, _) in changed.items():
        if etag == etags[h]:
            fail('run %d: %s is listed with its old ETag %s' % (run + 1, h, etag))
        etags[h] = etag
    if not new_token or new_token == token:
        fail('run %d: the token did not move (%s)' % (run + 1, new_token))
    prop, _ = c.ask('PROPFIND', CTAG, '0')
    ctag = re.search(r'<%sgetctag>([^<]*)</%sgetctag>' % (P, P), prop.decode())
    if not ctag or html.unescape(ctag.group(1)) != new_token:
        fail('run %d: the getctag is not the sync token %s: %s' % (run + 1, new_token, prop[:400]))
    answer, took = c.ask('REPORT', sync_body(token, False), '0')
    after.append(took)
    if c.reconnects:
        fail('run %d: the connection closed between two requests' % (run + 1))
    c.close()
    again, again_token = cards_of(answer, False)
    if set(again) != edited or again_token != new_token:
        fail('run %d: asked again, the sync since %s lists other cards or token' % (run + 1, token))
    token = new_token

times.sort()
after.sort()
kind = ('%d contacts and %d companies (google_csv.py, imported)' % (n, cards - n) if csv
        else '%d contacts (clientele-fill)' % n)
print('CardDAV address book of %s, serve on loopback (the download on one keep-alive connection):' % kind)
print('  first download:  %.2f s of requests (listing %.2f s + %d multigets of %d: %.2f s, slowest %.0f ms), '
      '%.2f s wall with the client\'s parsing; %d cards, %.1f MB received (target 5 s)'
      % (t_list + t_multi, t_list, batches, batch, t_multi, slowest_batch * 1000, wall, cards, got / 1e6))
print('  in one request:  sync-collection with getetag and address-data, %.2f s, %.1f MB' % (t_one, one_bytes / 1e6))
print('  incremental:     10 contacts edited, sync-collection since the last token, %d runs (target 20 ms):' % runs)
print('    first request of a new connection:        median %.1f ms, slowest %.1f ms'
      % (times[(len(times) - 1) // 2] * 1000, times[-1] * 1000))
print('    after a PROPFIND of getctag on that one:  median %.1f ms, slowest %.1f ms'
      % (after[(len(after) - 1) // 2] * 1000, after[-1] * 1000))
if client.reconnects:
    print('  (the download\'s connection was closed by the server while idle %d time(s); the request went again on a new one)'
          % client.reconnects)
EOF
