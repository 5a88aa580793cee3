#!/bin/sh
# tests/test_compat.sh - the lab server against two HTTP clients nobody here
# wrote: the curl command line, and Python's standard library (urllib,
# http.client).  One line per check, then "N passed, M failed"; exit 0 only
# if every check passed.  Without python3 the Python half says "skipped".
#
#   BUILD=build tests/test_compat.sh        (uses $BUILD/bin/labserver)
set -u

BUILD=${BUILD:-build}
SERVER=${LABSERVER:-$BUILD/bin/labserver}
passed=0
failed=0
tmp=$(mktemp -d) || exit 1
pid=

stop() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 1' INT TERM HUP

check() {   # check NAME COMMAND...: passes if the command succeeds
	name=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		passed=$((passed + 1))
		echo "ok    $name"
	else
		failed=$((failed + 1))
		echo "FAIL  $name: $(head -c 300 "$tmp/out")"
	fi
}

[ -x "$SERVER" ] || { echo "no $SERVER: build it first"; echo "0 passed, 1 failed"; exit 1; }

# Port 0: the server picks a free one and prints its URL first.
: >"$tmp/server.out"
"$SERVER" --port 0 >"$tmp/server.out" 2>"$tmp/server.err" &
pid=$!
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	URL=$(head -n 1 "$tmp/server.out" 2>/dev/null)
	[ -n "$URL" ] && break
	sleep 0.1
done
case ${URL:-} in
http://127.0.0.1:*) ;;
*) echo "the server printed no URL: $(cat "$tmp/server.err")"; echo "0 passed, 1 failed"; exit 1 ;;
esac

# --- curl -----------------------------------------------------------------------------

has() {     # has FILE TEXT: the file contains TEXT
	grep -qF -- "$2" "$1" || { echo "no '$2' in:"; cat "$1"; return 1; }
}

curl_get_args() {
	curl -sS --max-time 10 "$URL/get?a=1&a=2&b=x" >"$tmp/c" && has "$tmp/c" '"a":["1","2"]'
}
curl_post_json() {
	curl -sS --max-time 10 -H 'Content-Type: application/json' -d '{"n":[1,2]}' "$URL/post" >"$tmp/c" &&
		has "$tmp/c" '"json":{"n":[1,2]}' && has "$tmp/c" '"method":"POST"'
}
curl_post_form() {
	curl -sS --max-time 10 -d 'k=v&k=w' "$URL/anything/x" >"$tmp/c" && has "$tmp/c" '"form":{"k":["v","w"]}'
}
curl_redirects() {
	out=$(curl -sS --max-time 10 -L -o /dev/null -w '%{http_code} %{num_redirects} %{url_effective}' \
		"$URL/redirect/3") && [ "$out" = "200 3 $URL/get" ] || { echo "$out"; return 1; }
}
curl_status_list() {
	for _ in 1 2 3 4 5 6 7 8; do
		code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$URL/status/201,202") || return 1
		case $code in 201 | 202) ;; *) echo "got $code"; return 1 ;; esac
	done
	code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$URL/status/200:0,429:1") &&
		[ "$code" = 429 ] || { echo "weights: got $code"; return 1; }
}
curl_preflight() {
	curl -sS --max-time 10 -D "$tmp/h" -o /dev/null -X OPTIONS -H 'Origin: http://example.org' \
		-H 'Access-Control-Request-Method: PUT' -H 'Access-Control-Request-Headers: X-Foo' \
		"$URL/anything" && tr -d '\r' <"$tmp/h" >"$tmp/c" &&
		has "$tmp/c" 'HTTP/1.1 200' && has "$tmp/c" 'Access-Control-Allow-Origin: http://example.org' &&
		has "$tmp/c" 'Access-Control-Allow-Headers: X-Foo' && has "$tmp/c" 'Access-Control-Max-Age: 3600'
}
curl_misc() {
	curl -sS --max-time 10 -b 'c=1' "$URL/cookies" >"$tmp/c" && has "$tmp/c" '"cookies":{"c":"1"}' &&
		curl -sS --max-time 10 -D "$tmp/h" "$URL/response-headers?X-Test=yes" >"$tmp/c" &&
		has "$tmp/h" 'X-Test: yes' && has "$tmp/c" '"X-Test":"yes"' &&
		curl -sS --max-time 10 -A 'agent/1' "$URL/user-agent" >"$tmp/c" && has "$tmp/c" '"user-agent":"agent/1"'
}

check "curl: repeated keys are a list" curl_get_args
check "curl: POST with JSON" curl_post_json
check "curl: POST with a form" curl_post_form
check "curl -L: /redirect/3 ends at /get" curl_redirects
check "curl: /status lists and weights" curl_status_list
check "curl: OPTIONS preflight" curl_preflight
check "curl: /cookies, /response-headers, /user-agent" curl_misc

# --- Python's standard library ------------------------------------------------------------

PYTHON=$(command -v python3 || true)
if [ -z "$PYTHON" ]; then
	echo "skip  python3: not installed (the Python half is skipped)"
else
	# Each check is a small Python function; the script prints ok/FAIL lines.
	"$PYTHON" - "$URL" >"$tmp/py" 2>&1 <<'EOF'
import http.client, json, sys, urllib.parse, urllib.request

URL = sys.argv[1]
HOST = urllib.parse.urlsplit(URL)

def fetch(path, data=None, headers={}, method=None):
    req = urllib.request.Request(URL + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.headers, r.read()

def head_then_get_kept_alive():
    c = http.client.HTTPConnection(HOST.hostname, HOST.port, timeout=10)
    c.request("HEAD", "/get")
    r = c.getresponse()
    assert r.status == 200 and r.read() == b"", "HEAD has no body"
    length = int(r.getheader("Content-Length"))
    c.request("GET", "/get")           # the same connection: HEAD left nothing behind
    r = c.getresponse()
    body = r.read()
    assert r.status == 200 and len(body) == length, (length, len(body))
    json.loads(body)
    c.close()

def post_json():
    status, _, body = fetch("/post", json.dumps({"a": [1, "b"]}).encode(),
                            {"Content-Type": "application/json"})
    d = json.loads(body)
    assert d["json"] == {"a": [1, "b"]} and d["method"] == "POST", d

def post_form():
    status, _, body = fetch("/anything", urllib.parse.urlencode([("x", "1"), ("x", "2"), ("y", "é")]).encode())
    d = json.loads(body)
    assert d["form"] == {"x": ["1", "2"], "y": "é"}, d
    assert set(d) == {"args", "data", "files", "form", "headers", "json", "method", "origin", "url"}, d

def repeated_keys():
    _, _, body = fetch("/get?k=1&k=2&k=3&one=x")
    assert json.loads(body)["args"] == {"k": ["1", "2", "3"], "one": "x"}

def redirects():
    with urllib.request.urlopen(URL + "/redirect/2", timeout=10) as r:
        assert r.status == 200 and r.url == URL + "/get", r.url

def status_list():
    for _ in range(8):
        try:
            fetch("/status/404,410")
            raise AssertionError("no error status")
        except urllib.error.HTTPError as e:
            assert e.code in (404, 410), e.code

def preflight():
    _, h, body = fetch("/get", headers={"Origin": "http://a.example",
                                         "Access-Control-Request-Headers": "X-Bar"}, method="OPTIONS")
    assert h["Access-Control-Allow-Origin"] == "http://a.example", dict(h)
    assert h["Access-Control-Allow-Credentials"] == "true", dict(h)
    assert h["Access-Control-Allow-Headers"] == "X-Bar" and h["Access-Control-Max-Age"] == "3600", dict(h)
    assert "PUT" in h["Access-Control-Allow-Methods"], dict(h)

def json_is_utf8():
    c = http.client.HTTPConnection(HOST.hostname, HOST.port, timeout=10)
    c.putrequest("GET", "/anything?q=%ff%fe", skip_accept_encoding=True)
    c.putheader("X-Raw", b"\xff\xc3(")
    c.endheaders()
    body = c.getresponse().read()
    d = json.loads(body.decode("utf-8"))   # strict: fails on invalid UTF-8
    assert d["args"]["q"] == "\ufffd\ufffd", d["args"]

def small_endpoints():
    assert json.loads(fetch("/ip")[2])["origin"] == "127.0.0.1"
    assert len(json.loads(fetch("/uuid")[2])["uuid"]) == 36
    assert json.loads(fetch("/headers", headers={"X-Thing": "1"})[2])["headers"]["X-Thing"] == "1"

for name, f in [("http.client: HEAD then GET on one connection", head_then_get_kept_alive),
                ("urllib: POST with JSON", post_json),
                ("urllib: POST with a form", post_form),
                ("urllib: repeated keys are a list", repeated_keys),
                ("urllib: redirects followed to /get", redirects),
                ("urllib: /status lists", status_list),
                ("urllib: OPTIONS preflight", preflight),
                ("http.client: invalid UTF-8 in, valid JSON out", json_is_utf8),
                ("urllib: /ip, /uuid, /headers", small_endpoints)]:
    try:
        f()
        print("ok    python " + name)
    except Exception as e:
        print("FAIL  python %s: %r" % (name, e))
EOF
	cat "$tmp/py"
	p=$(grep -c '^ok ' "$tmp/py")
	f=$(grep -c '^FAIL ' "$tmp/py")
	[ "$p" -eq 0 ] && [ "$f" -eq 0 ] && f=1 && echo "FAIL  python: the script ran no check"
	passed=$((passed + p))
	failed=$((failed + f))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
