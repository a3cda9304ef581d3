"""Every module that runs hand-built SQL names the test comparing its effect with the ORM's.

The scan finds, in casework, reception and integration (migrations aside), every call that
sends SQL the ORM did not compile: ``<cursor>.execute``/``executemany``/``copy``, ``RawSQL``
and ``Manager.raw``. A module found here must be in ``COMPARED`` with the tests that run its
statements and the equivalent ORM operation on the same data and compare the effect column
by column (on both databases where the statement has vendor branches), or in ``EXEMPT`` with
the reason no ORM equivalent exists. There is no waiting list: a new statement comes with
its comparison.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("casework", "reception", "integration")

COMPARED = {
    "casework/audit/history.py": [
        "tests/casework/test_statements.py::test_the_history_row_is_the_one_simple_history_writes",
        "tests/casework/test_statements.py::test_the_history_row_names_the_request_user_and_the_change_reason",
    ],
    "casework/core/statements.py": [
        "tests/casework/test_statements.py::test_insert_writes_the_row_save_would",
        "tests/casework/test_statements.py::test_locked_ids_are_the_rows_the_filter_finds",
        "tests/casework/test_statements.py::test_distinct_values_are_what_the_orm_finds",
    ],
    "casework/status/selectors.py": [
        "tests/status/test_lookup_statement.py::test_the_lookup_reads_what_the_orm_reads",
        "tests/status/test_lookup_statement.py::test_on_postgresql_the_statement_writes_the_log_row_save_writes",
    ],
    "casework/status/waiting.py": [
        "tests/status/test_waiting.py::test_the_figures_statement_reads_what_the_orm_reads",
        "tests/status/test_waiting.py::test_on_postgresql_the_figures_statement_reads_what_the_orm_reads",
    ],
    "reception/status.py": [
        "tests/reception/test_status_statement.py::test_the_residence_line_names_what_the_orm_reads",
        "tests/reception/test_status_statement.py::test_the_statement_is_the_orms_own_with_the_person_as_its_only_parameter",
    ],
    "casework/applications/statements.py": [
        "tests/casework/test_statements.py::test_the_locked_case_is_what_the_orm_reads",
    ],
    "casework/deadlines/statements.py": [
        "tests/casework/test_deadline_statements.py::test_the_insert_if_new_writes_the_row_save_would_and_nothing_over_a_row_there_is",
        "tests/casework/test_deadline_statements.py::test_closing_deadlines_writes_what_the_orm_writes",
        "tests/casework/test_deadline_statements.py::test_the_next_deadline_is_what_the_orm_computes",
    ],
    "casework/deadlines/reminders.py": [
        "tests/casework/test_deadline_statements.py::test_the_sweep_writes_the_reminders_and_moves_the_notices_the_orm_would",
        "tests/casework/test_deadline_statements.py::test_moving_a_transition_s_deadlines_writes_what_closing_and_setting_each_would",
    ],
    # DDL with no ORM equivalent: the tests read the rows back through the ORM, as before.
    "casework/core/partitions.py": [
        "tests/casework/test_partitioned_logs.py::test_converting_a_populated_table_keeps_its_rows_ids_indexes_keys_and_triggers",
        "tests/casework/test_partitioned_logs.py::test_a_month_without_a_partition_waits_in_the_default_until_the_command_makes_it",
    ],
    # Django compiles the statement (the ORM's own SQL, built once a process); the token and
    # the user are made from its row as the ORM would, compared field by field.
    "casework/api/authentication.py": [
        "tests/api/test_auth.py::test_the_token_statement_puts_on_the_user_what_the_roles_query_would",
        "tests/api/test_auth.py::test_each_token_brings_its_own_user",
    ],
    "casework/permits/statements.py": [
        "tests/permits/test_group_renewal.py::test_the_statement_writes_what_the_orm_writes",
        "tests/permits/test_permit_grant.py::test_the_statement_writes_what_the_orm_writes",
    ],
    # The count of a name search over cases, asked person by person, against what the list
    # shows (and the plain join's count).
    "casework/people/selectors.py": [
        "tests/casework/test_name_search.py::test_a_case_search_counts_what_it_lists_asked_person_by_person",
    ],
    "casework/intake/writer.py": [
        "tests/casework/test_rows_parity.py::test_every_writer_writes_the_same_rows_column_by_column",
    ],
    "casework/intake/demo.py": [
        "tests/casework/test_rows_parity.py::test_every_writer_writes_the_same_rows_column_by_column",
        "tests/stats/test_seed_demo.py::test_the_copy_load_leaves_every_index_and_constraint_as_it_found_them",
    ],
}
EXEMPT: dict[str, str] = {
    "casework/management/commands/seed_demo.py": (
        "ANALYZE after the demo is written: planner statistics, no rows, no ORM equivalent"
    ),
}

CURSOR_CALLS = {"execute", "executemany", "copy"}


def _sends_sql(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id == "RawSQL"
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "raw" or func.attr == "RawSQL":
        return True
    receiver = func.value
    name = receiver.id if isinstance(receiver, ast.Name) else getattr(receiver, "attr", "")
    return func.attr in CURSOR_CALLS and "cur" in name.lower()


def modules_with_hand_built_sql() -> set[str]:
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), str(path))
            if any(isinstance(n, ast.Call) and _sends_sql(n) for n in ast.walk(tree)):
                found.add(path.relative_to(ROOT).as_posix())
    return found


def test_every_module_with_hand_built_sql_names_its_comparison_with_the_orm():
    found = modules_with_hand_built_sql()
    unregistered = found - set(COMPARED) - set(EXEMPT)
    assert not unregistered, (
        "hand-built SQL without a registered comparison with the ORM (tests/"
        f"test_hand_built_sql.py): {sorted(unregistered)}"
    )
    gone = (set(COMPARED) | set(EXEMPT)) - found
    assert not gone, f"registered but no longer running hand-built SQL: {sorted(gone)}"


def test_the_registered_comparison_tests_exist():
    for module, tests in COMPARED.items():
        assert tests, module
        for node in tests:
            path, name = node.split("::")
            tree = ast.parse((ROOT / path).read_text())
            names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
            assert name in names, (module, node)


def test_the_scan_sees_each_kind_of_hand_built_sql():
    for source in (
        "cursor.execute('SELECT 1')",
        "cur.executemany(sql, rows)",
        "cur.copy('COPY t FROM STDIN')",
        "RawSQL('1', [])",
        "Person.objects.raw('SELECT 1')",
    ):
        call = ast.parse(source).body[0].value  # type: ignore[attr-defined]
        assert _sends_sql(call), source
    assert not _sends_sql(ast.parse("pipe.execute()").body[0].value)  # type: ignore[attr-defined]
