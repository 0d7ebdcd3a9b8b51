#!/usr/bin/env python3
"""A small stand-in for the Hugging Face Hub's HTTP API, for the tests of `lines download`
(and for generating, with huggingface_hub itself, the cache layout those tests compare with).

    python3 fake_hub.py --root REPOS [--port 0] [--page-size N] [--log FILE]
                        [--drop PATH] [--fail5xx N:PATH] [--corrupt PATH] [--html PATH]

REPOS/{models|datasets}/{owner}/{name}/repo.json holds {"refs": {"main": COMMIT, ...},
"lfs": [globs], "token": optional bearer token, "gated": optional bool, "renamed_to": optional
"owner/name"}; a renamed repository answers every request with a relative 307 to the new name, as the
Hub does; the files of commit C are
under REPOS/.../{name}/C/. It serves what huggingface_hub and lines use:

- GET  /api/{type}s/{owner}/{name}/revision/{rev}        repo info (sha, siblings)
- GET  /api/{type}s/{owner}/{name}/tree/{rev}?recursive=1 the file list, paginated (Link: rel="next")
- HEAD/GET /[{type}s/]{owner}/{name}/resolve/{rev}/{path} a file: 200 with ETag = git blob id, or for
  LFS files a 302 to /cdn/{sha256} with X-Linked-Etag and X-Linked-Size; always X-Repo-Commit
- HEAD/GET /cdn/{sha256} on 127.0.0.2 (another host, as the Hub's CDN)  LFS content, with Range

Faults, each once per path: --drop sends half the file then closes the connection; --fail5xx N
answers 503 N times; --corrupt flips a byte of the content; --html answers an HTML page. The port is
printed on the first line of standard output; the server stops when standard input closes.
"""
import argparse
import fnmatch
import hashlib
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

ARGS = None
CDN_PORT = [0]
FAULTS = {"drop": set(), "fail5xx": {}, "corrupt": set(), "html": set()}
LOCK = threading.Lock()


def repo_dir(kind, owner, name):
    return os.path.join(ARGS.root, kind, owner, name)


def load_repo(kind, owner, name):
    path = os.path.join(repo_dir(kind, owner, name), "repo.json")
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def files_of(kind, owner, name, commit):
    base = os.path.join(repo_dir(kind, owner, name), commit)
    out = []
    for root, _, names in os.walk(base):
        for n in names:
            full = os.path.join(root, n)
            out.append(os.path.relpath(full, base).replace(os.sep, "/"))
    return sorted(out)


def content(kind, owner, name, commit, path):
    with open(os.path.join(repo_dir(kind, owner, name), commit, path), "rb") as f:
        return f.read()


def is_lfs(repo, path):
    return any(fnmatch.fnmatch(path, g) for g in repo.get("lfs", []))


def git_blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def fault_once(kind, path):
    with LOCK:
        if kind == "fail5xx":
            left = FAULTS["fail5xx"].get(path, 0)
            if left > 0:
                FAULTS["fail5xx"][path] = left - 1
                return True
            return False
        if path in FAULTS[kind]:
            FAULTS[kind].discard(path)
            return True
        return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if ARGS.log:
            with LOCK, open(ARGS.log, "a") as f:
                f.write("%s %s range=%s auth=%s\n" % (self.command, self.path, self.headers.get("Range", "-"),
                                                      "yes" if self.headers.get("Authorization") else "no"))

    def send_json(self, code, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, code, error_code, message):
        self.send_json(code, {"error": message}, {"X-Error-Code": error_code, "X-Error-Message": message})

    def moved(self, url, old, new):
        """A relative 307 to the same path under the repository's new name."""
        location = url.path.replace(old, new, 1) + ("?" + url.query if url.query else "")
        self.send_response(307)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def authorize(self, repo):
        token = repo.get("token")
        if token and self.headers.get("Authorization") != "Bearer " + token:
            self.error(401, "RepoNotFound", "Invalid credentials in Authorization header")
            return False
        if repo.get("gated") and self.headers.get("Authorization") is None:
            self.error(403, "GatedRepo", "Access to this repository is restricted: you must accept its conditions")
            return False
        return True

    def resolve_rev(self, repo, rev):
        rev = unquote(rev)
        if rev in repo["refs"]:
            return repo["refs"][rev]
        if rev in repo["refs"].values():
            return rev
        return None

    def do_HEAD(self):
        self.route()

    def do_GET(self):
        self.route()

    def route(self):
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.split("/")[1:]]
        query = parse_qs(url.query)
        if parts[:1] == ["api"] and len(parts) >= 6:
            kind, owner, name, what = parts[1], parts[2], parts[3], parts[4]
            repo = load_repo(kind, owner, name)
            if repo is None:
                return self.error(404, "RepoNotFound", "Repository not found")
            if repo.get("renamed_to"):
                return self.moved(url, "/%s/%s/%s" % (kind, owner, name), "/%s/%s" % (kind, repo["renamed_to"]))
            if not self.authorize(repo):
                return
            commit = self.resolve_rev(repo, parts[5])
            if commit is None:
                return self.error(404, "RevisionNotFound", "Invalid rev id: " + parts[5])
            files = files_of(kind, owner, name, commit)
            if what == "revision":
                return self.send_json(200, {"id": owner + "/" + name, "sha": commit, "private": bool(repo.get("token")),
                                            "siblings": [{"rfilename": f} for f in files]})
            if what == "tree":
                entries, dirs = [], set()
                for f in files:
                    segments = f.split("/")
                    for i in range(1, len(segments)):
                        d = "/".join(segments[:i])
                        if d not in dirs:
                            dirs.add(d)
                            entries.append({"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(), "size": 0, "path": d})
                    data = content(kind, owner, name, commit, f)
                    e = {"type": "file", "oid": git_blob_id(data), "size": len(data), "path": f}
                    if is_lfs(repo, f):
                        e["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
                    entries.append(e)
                start = int(query.get("cursor", ["0"])[0])
                page = entries[start:start + ARGS.page_size]
                headers = {}
                if start + ARGS.page_size < len(entries):
                    nxt = "http://%s/api/%s/%s/%s/tree/%s?recursive=true&cursor=%d" % (
                        self.headers.get("Host"), kind, owner, name, quote(parts[5], safe=""), start + ARGS.page_size)
                    headers["Link"] = '<%s>; rel="next"' % nxt
                return self.send_json(200, page, headers)
            return self.error(404, "EntryNotFound", "Unknown API route")
        if parts[:1] == ["cdn"] and len(parts) == 2:
            return self.serve_blob(parts[1])
        # /{owner}/{name}/resolve/{rev}/{path} for models, /{datasets|spaces}/{owner}/{name}/resolve/... otherwise.
        kind = "models"
        if parts[:1] in (["datasets"], ["spaces"]):
            kind, parts = parts[0], parts[1:]
        if len(parts) >= 5 and parts[2] == "resolve":
            owner, name, rev, path = parts[0], parts[1], parts[3], "/".join(parts[4:])
            repo = load_repo(kind, owner, name)
            if repo is None:
                return self.error(404, "RepoNotFound", "Repository not found")
            if repo.get("renamed_to"):
                return self.moved(url, "/%s/%s/resolve/" % (owner, name), "/%s/resolve/" % repo["renamed_to"])
            if not self.authorize(repo):
                return
            commit = self.resolve_rev(repo, rev)
            if commit is None:
                return self.error(404, "RevisionNotFound", "Invalid rev id: " + rev)
            if path not in files_of(kind, owner, name, commit):
                return self.error(404, "EntryNotFound", "Entry not found")
            data = content(kind, owner, name, commit, path)
            if is_lfs(repo, path):
                sha = hashlib.sha256(data).hexdigest()
                self.send_response(302)
                self.send_header("Location", "http://127.0.0.2:%d/cdn/%s" % (CDN_PORT[0], sha))
                self.send_header("X-Repo-Commit", commit)
                self.send_header("X-Linked-Etag", '"%s"' % sha)
                self.send_header("X-Linked-Size", str(len(data)))
                self.send_header("ETag", '"%s"' % git_blob_id(data))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            return self.serve(path, data, {"X-Repo-Commit": commit, "ETag": '"%s"' % git_blob_id(data)})
        return self.error(404, "EntryNotFound", "Not found: " + url.path)

    def serve_blob(self, sha):
        for kind in ("models", "datasets", "spaces"):
            base = os.path.join(ARGS.root, kind)
            for root, _, names in os.walk(base):
                for n in names:
                    full = os.path.join(root, n)
                    if n == "repo.json":
                        continue
                    with open(full, "rb") as f:
                        data = f.read()
                    if hashlib.sha256(data).hexdigest() == sha:
                        rel = "/".join(os.path.relpath(full, base).split(os.sep)[3:])
                        return self.serve(rel, data, {"ETag": '"%s"' % sha})
        return self.error(404, "EntryNotFound", "No such blob")

    def serve(self, path, data, headers):
        if self.command == "GET" and fault_once("fail5xx", path):
            return self.error(503, "ServiceUnavailable", "Try again later")
        if self.command == "GET" and fault_once("html", path):
            body = b"<!DOCTYPE html><html><body>Please log in</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.command == "GET" and fault_once("corrupt", path):
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        start, end, code = 0, len(data), 200
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes="):
            a, _, b = rng[6:].partition("-")
            start = int(a)
            end = int(b) + 1 if b else len(data)
            code = 206
        self.send_response(code)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start))
        if code == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
            return
        body = data[start:end]
        if fault_once("drop", path):
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--page-size", type=int, default=1000)
    p.add_argument("--log")
    p.add_argument("--drop", action="append", default=[])
    p.add_argument("--fail5xx", action="append", default=[])
    p.add_argument("--corrupt", action="append", default=[])
    p.add_argument("--html", action="append", default=[])
    ARGS = p.parse_args()
    FAULTS["drop"] = set(ARGS.drop)
    FAULTS["corrupt"] = set(ARGS.corrupt)
    FAULTS["html"] = set(ARGS.html)
    for spec in ARGS.fail5xx:
        n, _, path = spec.partition(":")
        FAULTS["fail5xx"][path] = int(n)
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    server.daemon_threads = True
    # LFS content comes from another host, as the Hub's CDN: another loopback address.
    cdn = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
    cdn.daemon_threads = True
    CDN_PORT[0] = cdn.server_address[1]
    print("PORT %d" % server.server_address[1], flush=True)
    for s in (server, cdn):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    sys.stdin.read()  # until the test closes our standard input (or dies)
    server.shutdown()
    cdn.shutdown()


if __name__ == "__main__":
    main()
