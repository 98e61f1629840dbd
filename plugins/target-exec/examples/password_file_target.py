#!/usr/bin/env python3
"""Example Tenure exec target (protocol 1): a service that authenticates
users against a password file.

The "service" is a JSON state file holding, per user, the SHA-256 of every
password it accepts, whether the account is disabled, and its privileges.
Tenure runs this program once per operation, writes one JSON request on
stdin and reads one JSON response on stdout. Secrets only travel on stdin
and stdout; the state file keeps hashes, never passwords.

Usage:
  password_file_target.py STATE                   serve one protocol request
  password_file_target.py STATE --init USER [PRIV ...]
                                                  create USER; password on stdin
  password_file_target.py STATE --check USER      exit 0 if the password on stdin
                                                  logs in as USER
"""

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import sys

PROTOCOL = 1


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


class State:
    def __init__(self, path):
        self.path = path
        self.lock = open(path + ".lock", "a")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        try:
            with open(path) as f:
                self.data = json.load(f)
        except FileNotFoundError:
            self.data = {"salt": secrets.token_hex(32), "users": {}}

    def save(self):
        tmp = self.path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(self.data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def user(self, name):
        user = self.data["users"].get(name)
        if user is None:
            raise Failure("not_found", "no such user: " + name)
        return user

    def logs_in(self, credential):
        user = self.data["users"].get(credential["username"])
        if user is None:
            return "refused: no such user"
        if user["disabled"]:
            return "refused: account disabled"
        if sha(credential["password"]) not in user["accepted"]:
            return "refused: password not accepted"
        return None


class Failure(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message


def credential(request, field):
    raw = request.get(field)
    if raw is None:
        raise Failure("permanent", "the request has no " + field)
    try:
        value = json.loads(raw)
        value["username"], value["password"]
        return value
    except (ValueError, KeyError, TypeError):
        raise Failure("permanent", field + " is not a {username, password} document")


def handle(state, request):
    op = request["operation"]
    if op == "issue":
        current = credential(request, "current")
        user = state.user(current["username"])
        # Deterministic per run: issuing twice for one run gives the same password.
        key = bytes.fromhex(state.data["salt"])
        password = hmac.new(key, (request["run_id"] + current["username"]).encode(), "sha256").hexdigest()[:32]
        user["accepted"][sha(password)] = request["run_id"]
        state.save()
        return {"value": json.dumps({"username": current["username"], "password": password})}
    if op == "test":
        value = credential(request, "value")
        refusal = state.logs_in(value)
        if refusal:
            raise Failure("unauthorized", refusal)
        return {"proof": {"method": "password_file", "detail": "user %s logged in" % value["username"]}}
    if op in ("rollback", "retire"):
        keep = credential(request, "current") if request.get("current") else None
        drop = credential(request, "pending" if op == "rollback" else "previous")
        user = state.user(drop["username"])
        if keep is None or sha(keep["password"]) != sha(drop["password"]):
            user["accepted"].pop(sha(drop["password"]), None)
        state.save()
        return {}
    if op == "privileges":
        return {"privileges": sorted(state.user(credential(request, "current")["username"])["privileges"])}
    if op == "narrow":
        user = state.user(credential(request, "current")["username"])
        approved = set(request["scopes"])
        removed = sorted(p for p in user["privileges"] if p not in approved)
        user["privileges"] = sorted(p for p in user["privileges"] if p in approved)
        state.save()
        return {"report": {"removed": removed, "remaining": user["privileges"]}}
    if op == "revoke":
        user = state.user(credential(request, "current")["username"])
        user["disabled"] = True
        state.save()
        return {}
    if op == "verify_revoked":
        refusal = state.logs_in(credential(request, "value"))
        if refusal is None:
            raise Failure("permanent", "the credential still logs in")
        return {"proof": {"method": "password_file", "detail": refusal}}
    raise Failure("permanent", "unsupported operation: " + op)


def serve(path):
    try:
        request = json.load(sys.stdin)
    except ValueError:
        print(json.dumps({"protocol": PROTOCOL, "ok": False, "error": {"kind": "permanent", "message": "bad request"}}))
        return 0
    if request.get("protocol") != PROTOCOL:
        response = {"ok": False, "error": {"kind": "permanent", "message": "unsupported protocol"}}
    else:
        state = State(path)
        try:
            response = {"ok": True, **handle(state, request)}
        except Failure as failure:
            response = {"ok": False, "error": {"kind": failure.kind, "message": failure.message}}
    response["protocol"] = PROTOCOL
    print(json.dumps(response))
    return 0


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = argv[1]
    if len(argv) >= 4 and argv[2] == "--init":
        state = State(path)
        password = sys.stdin.read().rstrip("\n")
        state.data["users"][argv[3]] = {"accepted": {sha(password): "initial"}, "disabled": False, "privileges": argv[4:]}
        state.save()
        return 0
    if len(argv) == 4 and argv[2] == "--check":
        state = State(path)
        password = sys.stdin.read().rstrip("\n")
        return 0 if state.logs_in({"username": argv[3], "password": password}) is None else 1
    return serve(path)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
