#!/usr/bin/env python3
"""Summarises an iscsi-test-cu (CUnit, verbose mode) log per suite.

Usage: cu_summary.py SUITE_LIST LOG [TEST_LIST]
SUITE_LIST is `iscsi-test-cu -l` output: suites run in its order, which
gives each "Suite: NAME" line of the log its family (SCSI, iSCSI, ...).
TEST_LIST, when the run was given one with -t FILE, names the tests in the
order they ran (FAMILY.SUITE.TEST per line); each "Test:" line then takes
its family and suite from it, since such a run repeats "Suite:" per test.
Prints one line per suite, "FAMILY.SUITE passed failed skipped", then
"TOTAL passed failed skipped", then "FAILED FAMILY.SUITE.TEST" for each
failed test. A test that printed [SKIPPED] counts as
skipped, not passed, even though CUnit reports it as passed.
"""
import re
import sys


def suites_in_order(listing):
    return [line.strip() for line in listing.splitlines()
            if line.strip().count('.') == 1]


def parse(log, order, tests=None):
    results = {}
    failed = []
    current = None
    test = None
    index = 0
    test_open = False
    skipped = False
    for line in log.splitlines():
        m = re.match(r'^Suite: (\S+)', line)
        if m and tests is not None:
            continue
        if m:
            name = m.group(1)
            while index < len(order) and order[index].split('.')[1] != name:
                index += 1
            current = order[index] if index < len(order) else '?.' + name
            index += 1
            results.setdefault(current, [0, 0, 0])
            continue
        m = re.match(r'^  Test: (\S+)', line)
        if m:
            test_open = True
            skipped = False
            test = m.group(1)
            if tests is not None:
                while tests and tests[0].rsplit('.', 1)[1] != test:
                    tests.pop(0)
                if tests:
                    current = tests.pop(0).rsplit('.', 1)[0]
                    results.setdefault(current, [0, 0, 0])
        if not test_open or current is None:
            continue
        # the verdict follows "..." on the Test line or starts a line;
        # text after it belongs to the next test's setup or teardown
        verdict = re.search(r'(?:^|\.\.\.)\s*(passed|FAILED)', line)
        before = line[:verdict.start(1)] if verdict else line
        if '[SKIPPED]' in before:
            skipped = True
        if verdict:
            if verdict.group(1) == 'FAILED':
                results[current][1] += 1
                failed.append(f'{current}.{test}')
            elif skipped:
                results[current][2] += 1
            else:
                results[current][0] += 1
            test_open = False
    return results, failed


def main():
    order = suites_in_order(open(sys.argv[1]).read())
    tests = None
    if len(sys.argv) > 3:
        tests = [line.strip() for line in open(sys.argv[3]) if line.strip()]
    results, failed = parse(open(sys.argv[2], errors='replace').read(),
                            order, tests)
    total = [0, 0, 0]
    for suite in sorted(results):
        p, f, s = results[suite]
        total = [total[0] + p, total[1] + f, total[2] + s]
        print(f'{suite} {p} {f} {s}')
    print(f'TOTAL {total[0]} {total[1]} {total[2]}')
    for name in failed:
        print(f'FAILED {name}')


if __name__ == '__main__':
    main()
