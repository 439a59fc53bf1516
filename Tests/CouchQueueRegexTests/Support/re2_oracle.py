"""Answers regex questions with the real RE2, for CouchQueueRegex's differential test.

Reads {"cases": [{"pattern": str, "texts": [str, ...]}, ...]} from stdin and prints
{"results": [{"error": str} | {"matches": [bool, ...]}, ...]}, one result per case, where
"matches" says whether RE2 finds the pattern anywhere in each text (unanchored search).

Needs PyPI's google-re2 (module re2), which bundles the C++ library: pip install google-re2
"""

import json
import sys

try:
    import re2
except ImportError:
    sys.stderr.write("the re2 module is missing: pip install google-re2\n")
    sys.exit(3)


def answer(case, options):
    try:
        regex = re2.compile(case["pattern"], options)
    except re2.error as error:
        message = error.args[0] if error.args else str(error)
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        return {"error": message}
    return {"matches": [regex.search(text) is not None for text in case["texts"]]}


def main():
    request = json.load(sys.stdin)
    options = re2.Options()
    options.log_errors = False
    results = [answer(case, options) for case in request["cases"]]
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
