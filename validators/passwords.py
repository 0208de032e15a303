"""Password rules of a feed (feed.yaml `password_rules`), one finding per broken rule.

`check_password(candidate, rules, requirements, username=None, history=(), last_change=None, today=None)`
never puts the candidate, or any part of it, in a finding. The rules:
- composition: `min_length` characters drawn from letters, digits and special characters (printable
  ASCII, no spaces), at least `min_upper`/`min_lower`/`min_digits`/`min_special`;
- not similar to the username (Trading Partner ID): neither contains the other (ignoring case and
  the l33t substitutions below), nor reversed, nor a difflib similarity of 0.6 or more;
- no common dictionary word: no run of 4+ letters (after undoing 0->o, 1->l/i, 3->e, 4->a, 5->s,
  7->t, @->a, $->s) is among the 20,000 most frequent English words of `wordfreq` (top_n_list("en"),
  Apache-2.0 code, CC BY-SA 4.0 data: Robyn Speer, https://github.com/rspeer/wordfreq), keeping
  alphabetic words of 4 letters or more;
- not one of the last `history` passwords: `history` holds hashes in Django's
  `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>` form, newest first (`hash_password` writes one);
- aging: with the date of the last change, the current password expires `max_age_days` later.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import hmac
import re
import secrets
import string
from collections.abc import Iterable
from datetime import date
from functools import cache

from .findings import Finding, Location, Severity

SPECIAL = set(string.punctuation)
ALLOWED = set(string.ascii_letters) | set(string.digits) | SPECIAL
LEET = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
PBKDF2_ITERATIONS = 600_000


@cache
def common_words(n: int = 20000, min_len: int = 4) -> frozenset[str]:
    from wordfreq import top_n_list

    return frozenset(w for w in top_n_list("en", n) if len(w) >= min_len and w.isascii() and w.isalpha())


def hash_password(password: str, iterations: int = PBKDF2_ITERATIONS) -> str:
    """A history line: pbkdf2_sha256$<iterations>$<salt>$<base64 hash> (Django's format)."""
    salt = secrets.token_hex(12)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii"), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode('ascii')}"


def matches_hash(password: str, line: str) -> bool:
    try:
        algorithm, iterations, salt, expected = line.strip().split("$")
        if algorithm != "pbkdf2_sha256":
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("utf-8"), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(base64.b64encode(digest).decode("ascii"), expected)


def valid_hash_line(line: str) -> bool:
    parts = line.strip().split("$")
    return len(parts) == 4 and parts[0] == "pbkdf2_sha256" and parts[1].isdigit()


def _letters(text: str) -> str:
    return text.lower().translate(LEET)


def similar(password: str, username: str) -> bool:
    p, u = _letters(password), _letters(username)
    if len(u) < 3:
        return p == u
    core = re.sub(r"[^a-z0-9]", "", p)
    return (
        u in p or u[::-1] in p or (len(core) >= 3 and core in u) or difflib.SequenceMatcher(None, p, u).ratio() >= 0.6
    )


def dictionary_word_length(password: str) -> int:
    """The length of the longest common word inside the password (0: none)."""
    words = common_words()
    longest = 0
    for run in re.findall(r"[a-z]{4,}", _letters(password)):
        for i in range(len(run)):
            for j in range(len(run), i + 3, -1):
                if j - i > longest and run[i:j] in words:
                    longest = j - i
                    break
    return longest


def check_password(
    candidate: str,
    rules: dict,
    requirements: dict[str, str],
    *,
    username: str | None = None,
    history: Iterable[str] = (),
    last_change: date | None = None,
    today: date | None = None,
) -> tuple[list[Finding], list[str]]:
    """(findings, skipped checks). `requirements` maps rule keys (length, case, digit, special, username,
    dictionary, history, aging) to the feed's requirement ids."""
    out: list[Finding] = []
    skipped: list[str] = []

    def add(key: str, message: str, where: str, severity=Severity.ERROR):
        # a weak new password is refused with the feed's code (`weak_password_error_code`); aging has no code
        code = None if key == "aging" else rules.get("weak_password_error_code")
        out.append(Finding(requirements[key], severity, message, code, Location(pointer=f"password:{where}")))

    n = rules.get("min_length", 8)
    if len(candidate) < n:
        add("length", f"the password has {len(candidate)} characters; at least {n} are required", "length")
    if set(candidate) - ALLOWED:
        add(
            "length",
            "the password holds characters other than letters, digits and special characters "
            "(spaces, control or non-ASCII characters)",
            "charset",
        )
    upper, lower = sum(c.isupper() for c in candidate), sum(c.islower() for c in candidate)
    if upper < rules.get("min_upper", 1) or lower < rules.get("min_lower", 1):
        add("case", "the password needs at least one upper-case and one lower-case letter", "case")
    if sum(c.isdigit() for c in candidate) < rules.get("min_digits", 1):
        add("digit", "the password needs at least one digit", "digit")
    if sum(c in SPECIAL for c in candidate) < rules.get("min_special", 1):
        add("special", "the password needs at least one special character", "special")
    if rules.get("not_similar_to_username"):
        if username:
            if similar(candidate, username):
                add("username", "the password is similar to the username", "username")
        else:
            skipped.append(f"{requirements['username']} (needs --username)")
    if rules.get("no_dictionary_words"):
        length = dictionary_word_length(candidate)
        if length:
            add("dictionary", f"the password contains a common dictionary word ({length} letters)", "dictionary")
    history = [h for h in history if h.strip()]
    if history:
        keep = rules.get("history", 6)
        if any(matches_hash(candidate, line) for line in history[:keep]):
            add("history", f"the password is one of the previous {keep} passwords", "history")
    else:
        skipped.append(f"{requirements['history']} (needs --history)")
    if last_change is not None:
        today = today or date.today()
        age, limit = (today - last_change).days, rules.get("max_age_days", 90)
        warn = rules.get("website_warning_days", 0)
        if age >= limit:
            add("aging", f"the current password was set {age} days ago: passwords expire after {limit} days", "aging")
        elif warn and age >= limit - warn:
            add(
                "aging",
                f"the current password expires in {limit - age} day(s) (the website warns {warn} days ahead)",
                "aging",
                Severity.WARNING,
            )
    else:
        skipped.append(f"{requirements['aging']} (needs --last-change)")
    return out, skipped
