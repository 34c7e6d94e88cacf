"""`app-cli tasks …`: argv in, service call, table/JSON out, exit codes."""

import json
import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from app.core.ids import MAX_ID
from cli.main import app

TASK_READ_KEYS = {
    "id",
    "title",
    "description",
    "status",
    "priority",
    "due_date",
    "project",
    "tags",
    "created_at",
    "updated_at",
    "completed_at",
    "version",
}
PAST = "2000-01-01"
FUTURE = "2999-12-31"

# Five tasks covering every filter; ids are 1..5 in this order.
SEED_PROJECTS = ["Work", "Home"]
SEED_TASKS: list[dict[str, Any]] = [
    {
        "title": "Write report",
        "description": "quarterly numbers",
        "priority": "high",
        "due_date": PAST,
        "project": "Work",
        "tags": ["docs", "q1"],
    },
    {
        "title": "Buy milk",
        "status": "in_progress",
        "priority": "low",
        "due_date": FUTURE,
        "tags": ["home"],
    },
    {
        "title": "Fix bug",
        "status": "done",
        "priority": "urgent",
        "due_date": "2000-06-01",
        "project": "Work",
        "tags": ["code", "docs"],
    },
    {"title": "Plan trip", "status": "cancelled", "project": "Home"},
    {
        "title": "Review PR",
        "description": "Check the REPORT draft",
        "due_date": "2030-01-01",
        "project": "Work",
        "tags": ["code"],
    },
]


def titles(items: list[dict[str, Any]]) -> list[str]:
    return [item["title"] for item in items]


# --- add -------------------------------------------------------------------------------------


def test_add_prints_the_new_id_on_stdout_and_a_message_on_stderr(cli):
    result = cli.ok("tasks", "add", "Write the report")

    task_id = int(result.stdout)
    assert result.stdout == f"{task_id}\n"
    assert f"Created task #{task_id}" in result.stderr
    assert "Write the report" in result.stderr
    task = cli.task(task_id)
    assert task["title"] == "Write the report"
    assert task["status"] == "todo"
    assert task["priority"] == "medium"
    assert task["tags"] == []
    assert task["project"] is None
    assert task["due_date"] is None
    assert task["version"] == 1


def test_add_with_every_option(cli):
    cli.ok("projects", "add", "Work")

    task_id = cli.add(
        "  Ship it  ",
        "--description",
        "All of it",
        "--priority",
        "urgent",
        "--due",
        "2030-05-01",
        "--project",
        "work",
        "--tag",
        "Beta",
        "--tag",
        "alpha",
        "--tag",
        "beta",
    )

    task = cli.task(task_id)
    assert task["title"] == "Ship it"
    assert task["description"] == "All of it"
    assert task["priority"] == "urgent"
    assert task["due_date"] == "2030-05-01"
    assert task["project"] == "Work"
    assert task["tags"] == ["alpha", "beta"]


def test_add_json_prints_exactly_one_task_read_document(cli):
    result = cli.ok("tasks", "add", "Write the report", "--tag", "x", "--json")

    task = json.loads(result.stdout)  # raises on anything but one document
    assert set(task) == TASK_READ_KEYS
    assert task["title"] == "Write the report"
    assert task["tags"] == ["x"]
    assert task["status"] == "todo"
    assert task["completed_at"] is None
    assert task["version"] == 1
    assert datetime.fromisoformat(task["created_at"]).utcoffset() is not None
    assert result.stdout.count("\n") == 1
    assert cli.task(task["id"]) == task


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["x" * 201], "title", id="title-201-chars"),
        pytest.param(["   "], "title", id="blank-title"),
        pytest.param(["t", "--description", "d" * 5001], "description", id="description-5001"),
        pytest.param(["t", "--tag", "bad tag!"], "bad tag!", id="bad-tag"),
        pytest.param(["t", "--tag", "_x"], "_x", id="tag-starting-with-underscore"),
        pytest.param(["t", "--due", "2024-13-01"], "2024-13-01", id="bad-due-date"),
        pytest.param(["t", "--due", "tomorrow"], "tomorrow", id="due-not-a-date"),
        pytest.param(["t", "--priority", "extreme"], "extreme", id="bad-priority"),
        pytest.param(["t", "--project", "Nowhere"], "Nowhere", id="unknown-project"),
    ],
)
def test_add_rejects_invalid_input_with_exit_2_and_creates_nothing(cli, args, expected):
    result = cli.fails(2, "tasks", "add", *args)

    assert expected in result.stderr
    assert cli.tasks() == []


def test_add_names_every_invalid_field(cli):
    result = cli.fails(2, "tasks", "add", "x" * 201, "--tag", "Bad Tag")

    assert "title" in result.stderr
    assert "tags" in result.stderr
    assert "bad tag" in result.stderr.lower()


# --- list ------------------------------------------------------------------------------------


def test_list_prints_a_table_of_titles(cli):
    cli.add("Write the report", "--due", PAST, "--tag", "docs")
    cli.add("Buy milk")

    result = cli.ok("tasks", "list")

    for text in ("ID", "Title", "Status", "Priority", "Write the report", "Buy milk", "docs"):
        assert text in result.stdout
    assert f"{PAST} (overdue)" in result.stdout
    assert "--cursor" not in result.stderr


def test_titles_are_shown_as_typed_in_tables_panels_and_messages(cli):
    title = "Fix :bug: in [bold]x[/bold] [/]"
    added = cli.ok("tasks", "add", title)

    listed = cli.ok("tasks", "list")
    shown = cli.ok("tasks", "show", "1")

    assert title in added.stderr
    assert ":bug:" in listed.stdout
    assert "[bold]x[/bold]" in listed.stdout
    assert title in shown.stdout


def test_list_with_no_match_says_so_on_stderr(cli):
    result = cli.ok("tasks", "list")

    assert result.stdout == ""
    assert "No tasks match" in result.stderr


def test_list_json_has_the_api_page_shape(cli):
    cli.add("One")

    result = cli.ok("tasks", "list", "--json")

    page = json.loads(result.stdout)
    assert set(page) == {"items", "next_cursor"}
    assert page["next_cursor"] is None
    assert [set(item) for item in page["items"]] == [TASK_READ_KEYS]
    assert page["items"][0]["title"] == "One"


FILTER_CASES = [
    (["--status", "todo"], ["Write report", "Review PR"]),
    (["--status", "todo", "--status", "done"], ["Write report", "Fix bug", "Review PR"]),
    (["--priority", "urgent", "--priority", "low"], ["Buy milk", "Fix bug"]),
    (["--project", "Work"], ["Write report", "Fix bug", "Review PR"]),
    (["--project", "home"], ["Plan trip"]),
    (["--tag", "docs"], ["Write report", "Fix bug"]),
    (["--tag", "docs", "--tag", "code"], ["Fix bug"]),
    (["--tag", "DOCS"], ["Write report", "Fix bug"]),
    (["--due-before", "2030-01-01"], ["Write report", "Fix bug"]),
    (["--due-after", PAST], ["Buy milk", "Fix bug", "Review PR"]),
    (["--due-after", PAST, "--due-before", FUTURE], ["Fix bug", "Review PR"]),
    (["--overdue"], ["Write report"]),
    (["--not-overdue"], ["Buy milk", "Fix bug", "Plan trip", "Review PR"]),
    (["--q", "report"], ["Write report", "Review PR"]),
    (["--search", "QUARTERLY"], ["Write report"]),
    (["-q", "milk"], ["Buy milk"]),
    (["--status", "todo", "--project", "Work", "--tag", "code"], ["Review PR"]),
    (["--sort", "title"], ["Buy milk", "Fix bug", "Plan trip", "Review PR", "Write report"]),
    (
        ["--sort", "title", "--desc"],
        ["Write report", "Review PR", "Plan trip", "Fix bug", "Buy milk"],
    ),
    (
        ["--sort", "due_date"],
        ["Write report", "Fix bug", "Review PR", "Buy milk", "Plan trip"],
    ),
    (
        ["--sort", "due_date", "--desc"],
        ["Buy milk", "Review PR", "Fix bug", "Write report", "Plan trip"],
    ),
    (["--desc"], ["Review PR", "Plan trip", "Fix bug", "Buy milk", "Write report"]),
    (["--limit", "2"], ["Write report", "Buy milk"]),
]


def test_list_filters_and_sorts(cli, seed, subtests):
    seed(SEED_PROJECTS, SEED_TASKS)

    for args, expected in FILTER_CASES:
        with subtests.test(args=" ".join(args)):
            assert titles(cli.tasks(*args)) == expected


def test_list_sorts_priority_by_rank_not_alphabet(cli, seed):
    seed(SEED_PROJECTS, SEED_TASKS)

    ascending = [t["priority"] for t in cli.tasks("--sort", "priority")]
    descending = [t["priority"] for t in cli.tasks("--sort", "priority", "--desc")]

    assert ascending == ["low", "medium", "medium", "high", "urgent"]
    assert descending == ["urgent", "high", "medium", "medium", "low"]


def test_list_json_pages_walk_every_task_once(cli, seed):
    seed(SEED_PROJECTS, SEED_TASKS)
    seen: list[str] = []
    cursor: list[str] = []

    for _ in range(5):
        page = cli.json("tasks", "list", "--sort", "due_date", "--limit", "2", *cursor)
        seen += titles(page["items"])
        if page["next_cursor"] is None:
            break
        cursor = ["--cursor", page["next_cursor"]]

    assert seen == ["Write report", "Fix bug", "Review PR", "Buy milk", "Plan trip"]


def test_list_table_hints_the_next_page_on_stderr(cli, seed):
    seed(SEED_PROJECTS, SEED_TASKS)

    first = cli.ok("tasks", "list", "--limit", "3")

    assert "Write report" in first.stdout
    assert "Review PR" not in first.stdout
    hint = first.stderr.split("--cursor", 1)[1].split()
    assert hint, first.stderr
    assert "--cursor" not in first.stdout
    second = cli.ok("tasks", "list", "--limit", "3", "--cursor", hint[0])
    assert "Plan trip" in second.stdout
    assert "Review PR" in second.stdout
    assert "Write report" not in second.stdout
    assert "--cursor" not in second.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["--limit", "0"], "limit", id="limit-0"),
        pytest.param(["--limit", "201"], "limit", id="limit-201"),
        pytest.param(["--cursor", "forged"], "cursor", id="forged-cursor"),
        pytest.param(["--cursor", "eyJmIjoxfQ"], "cursor", id="forged-base64-cursor"),
        pytest.param(
            ["--due-before", "2024-13-01"], "--due-before: '2024-13-01'", id="bad-due-before"
        ),
        pytest.param(["--due-after", "soon"], "--due-after: 'soon'", id="bad-due-after"),
        pytest.param(["--status", "later"], "later", id="bad-status"),
        pytest.param(["--priority", "extreme"], "extreme", id="bad-priority"),
        pytest.param(["--sort", "colour"], "colour", id="bad-sort"),
        pytest.param(["--q", "q" * 201], "200", id="search-201-chars"),
        pytest.param(["--tag", "a,b"], "a-z, 0-9", id="tag-with-a-comma"),
        pytest.param([f"--tag=t{n}" for n in range(21)], "at most 20", id="21-tags"),
    ],
)
def test_list_rejects_invalid_input_with_exit_2(cli, args, expected):
    result = cli.fails(2, "tasks", "list", *args)

    assert expected in result.stderr


def test_list_rejects_a_cursor_from_another_query(cli, seed):
    seed(SEED_PROJECTS, SEED_TASKS)
    cursor = cli.json("tasks", "list", "--limit", "1")["next_cursor"]

    result = cli.fails(2, "tasks", "list", "--limit", "1", "--status", "todo", "--cursor", cursor)

    assert "cursor" in result.stderr


# --- show ------------------------------------------------------------------------------------


def test_show_prints_a_panel(cli):
    task_id = cli.add("Write the report", "--description", "The Q1 one", "--tag", "docs")

    result = cli.ok("tasks", "show", str(task_id))

    for text in (f"#{task_id} Write the report", "todo", "medium", "The Q1 one", "docs"):
        assert text in result.stdout
    assert result.stderr == ""


def test_show_json_is_the_task(cli):
    task_id = cli.add("Write the report")

    result = cli.ok("tasks", "show", str(task_id), "--json")

    task = json.loads(result.stdout)
    assert set(task) == TASK_READ_KEYS
    assert task["id"] == task_id


def test_show_unknown_id_exits_1(cli):
    result = cli.fails(1, "tasks", "show", "999")

    assert "Task 999 does not exist" in result.stderr


@pytest.mark.parametrize("task_id", ["0", "abc", str(2**63)])  # 2**63: no id, as the API says
def test_show_malformed_id_exits_2(cli, task_id):
    cli.fails(2, "tasks", "show", task_id)


# --- update ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("created_with", "update_args", "field", "value"),
    [
        pytest.param([], ["--title", "  Renamed  "], "title", "Renamed", id="title"),
        pytest.param([], ["--description", "More"], "description", "More", id="description"),
        pytest.param([], ["--priority", "low"], "priority", "low", id="priority"),
        pytest.param([], ["--due", "2031-02-03"], "due_date", "2031-02-03", id="due"),
        pytest.param(["--due", "2031-02-03"], ["--no-due"], "due_date", None, id="no-due"),
        pytest.param([], ["--project", "WORK"], "project", "Work", id="project"),
        pytest.param(["--project", "Work"], ["--no-project"], "project", None, id="no-project"),
        pytest.param(
            ["--tag", "old"], ["--tag", "New", "--tag", "b"], "tags", ["b", "new"], id="tags"
        ),
        pytest.param(["--tag", "a", "--tag", "b"], ["--no-tags"], "tags", [], id="no-tags"),
    ],
)
def test_update_changes_one_field_and_bumps_the_version(
    cli, created_with, update_args, field, value
):
    cli.ok("projects", "add", "Work")
    task_id = cli.add("Write the report", *created_with)
    before = cli.task(task_id)

    result = cli.ok("tasks", "update", str(task_id), *update_args, "--json")

    after = json.loads(result.stdout)
    assert after[field] == value
    assert after["version"] == before["version"] + 1
    unchanged = {k: v for k, v in before.items() if k not in {field, "version", "updated_at"}}
    assert {k: after[k] for k in unchanged} == unchanged
    assert cli.task(task_id) == after


def test_update_without_json_shows_the_task(cli):
    task_id = cli.add("Write the report")

    result = cli.ok("tasks", "update", str(task_id), "--priority", "high")

    assert "Write the report" in result.stdout
    assert "high" in result.stdout


def test_update_with_nothing_to_change_exits_2(cli):
    task_id = cli.add("Write the report")

    result = cli.fails(2, "tasks", "update", str(task_id))

    assert "Nothing to change" in result.stderr
    assert cli.task(task_id)["version"] == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["--due", "2030-01-01", "--no-due"], "--no-due", id="due-and-no-due"),
        pytest.param(["--project", "Work", "--no-project"], "--no-project", id="both-projects"),
        pytest.param(["--tag", "a", "--no-tags"], "--no-tags", id="tag-and-no-tags"),
        pytest.param(["--title", "x" * 201], "title", id="title-201-chars"),
        pytest.param(["--title", ""], "title", id="empty-title"),
        pytest.param(["--tag", "no spaces"], "no spaces", id="bad-tag"),
        pytest.param(["--due", "2024-13-01"], "2024-13-01", id="bad-due"),
        pytest.param(["--priority", "extreme"], "extreme", id="bad-priority"),
        pytest.param(["--project", "Nowhere"], "Nowhere", id="unknown-project"),
    ],
)
def test_update_rejects_invalid_input_with_exit_2_and_changes_nothing(cli, args, expected):
    task_id = cli.add("Write the report")

    result = cli.fails(2, "tasks", "update", str(task_id), *args)

    assert expected in result.stderr
    assert cli.task(task_id)["version"] == 1


def test_update_unknown_id_exits_1(cli):
    result = cli.fails(1, "tasks", "update", "999", "--title", "x")

    assert "does not exist" in result.stderr


# --- status changes --------------------------------------------------------------------------


def test_status_commands_follow_the_transition_table(cli):
    task_id = cli.add("Write the report")
    ref = str(task_id)

    started = cli.ok("tasks", "start", ref)
    assert started.stdout == ""
    assert f"Task #{task_id} is now in_progress" in started.stderr
    assert cli.task(task_id)["status"] == "in_progress"

    done = cli.json("tasks", "done", ref)
    assert done["status"] == "done"
    assert done["completed_at"] is not None

    reopened = cli.json("tasks", "reopen", ref)
    assert reopened["status"] == "todo"
    assert reopened["completed_at"] is None

    cancelled = cli.json("tasks", "cancel", ref)
    assert cancelled["status"] == "cancelled"
    assert cli.json("tasks", "reopen", ref)["status"] == "todo"
    assert cli.json("tasks", "done", ref)["status"] == "done"
    assert cli.task(task_id)["version"] == 7


@pytest.mark.parametrize(
    ("to_state", "command", "current", "requested"),
    [
        pytest.param("done", "start", "done", "in_progress", id="done-to-start"),
        pytest.param("done", "cancel", "done", "cancelled", id="done-to-cancel"),
        pytest.param("cancel", "start", "cancelled", "in_progress", id="cancelled-to-start"),
        pytest.param("cancel", "done", "cancelled", "done", id="cancelled-to-done"),
    ],
)
def test_forbidden_transition_exits_1_and_changes_nothing(
    cli, to_state, command, current, requested
):
    task_id = cli.add("Write the report")
    before = cli.json("tasks", to_state, str(task_id))

    result = cli.fails(1, "tasks", command, str(task_id))

    assert f"cannot go from '{current}' to '{requested}'" in result.stderr
    assert "todo" in result.stderr  # says what is allowed instead
    assert cli.task(task_id) == before


@pytest.mark.parametrize("command", ["start", "done", "cancel", "reopen"])
def test_status_command_on_unknown_id_exits_1(cli, command):
    result = cli.fails(1, "tasks", command, "999")

    assert "Task 999 does not exist" in result.stderr


# --- delete ----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [None, "y\n"])
def test_delete_without_yes_off_a_terminal_refuses_with_exit_2(cli, typed):
    task_id = cli.add("Write the report")

    result = cli("tasks", "delete", str(task_id), input=typed)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--yes" in result.stderr
    assert cli.task(task_id)["title"] == "Write the report"


@pytest.mark.parametrize("flag", ["--yes", "-y"])
def test_delete_with_yes_deletes(cli, flag):
    task_id = cli.add("Write the report")
    kept = cli.add("Keep me")

    result = cli.ok("tasks", "delete", str(task_id), flag)

    assert result.stdout == ""
    assert f"Deleted task #{task_id}" in result.stderr
    assert titles(cli.tasks()) == ["Keep me"]
    assert cli.task(kept)["title"] == "Keep me"
    cli.fails(1, "tasks", "show", str(task_id))


def test_delete_unknown_id_exits_1(cli):
    result = cli.fails(1, "tasks", "delete", "999", "--yes")

    assert "Task 999 does not exist" in result.stderr


@pytest.mark.parametrize(
    ("answer", "code", "deleted"),
    [pytest.param("y\n", 0, True, id="yes"), pytest.param("n\n", 1, False, id="no")],
)
def test_delete_on_a_terminal_asks_first(cli, monkeypatch, answer, code, deleted):
    from cli import prompt

    terminal = SimpleNamespace(stdin=SimpleNamespace(isatty=lambda: True))
    monkeypatch.setattr(prompt, "sys", terminal)
    task_id = cli.add("Write the report")

    result = cli("tasks", "delete", str(task_id), input=answer)

    assert result.exit_code == code, result.stderr
    assert f"Delete task #{task_id} 'Write the report'?" in result.stderr
    assert result.stdout.strip() == answer.strip()  # CliRunner echoes what was "typed"
    assert (cli.tasks() == []) is deleted
    assert ("Cancelled; nothing was deleted." in result.stderr) is not deleted
    assert "Error" not in result.stderr  # a "no" is the person's choice, not a failure


def test_delete_on_a_terminal_with_input_closed_at_the_prompt_deletes_nothing(cli, monkeypatch):
    from cli import prompt

    monkeypatch.setattr(prompt, "sys", SimpleNamespace(stdin=SimpleNamespace(isatty=lambda: True)))
    task_id = cli.add("Keep me")

    result = cli("tasks", "delete", str(task_id), input="")  # Ctrl-D: end of input

    assert result.exit_code == 1
    assert "Cancelled; nothing was deleted." in result.stderr
    assert "Aborted" not in result.stderr
    assert cli.task(task_id)["title"] == "Keep me"


def test_delete_of_an_unknown_task_on_a_terminal_fails_before_asking(cli, monkeypatch):
    from cli import prompt

    monkeypatch.setattr(prompt, "sys", SimpleNamespace(stdin=SimpleNamespace(isatty=lambda: True)))

    result = cli.fails(1, "tasks", "delete", "999")

    assert "Task 999 does not exist" in result.stderr
    assert "Delete" not in result.stderr


# --- ids the database cannot hold -------------------------------------------------------------


@pytest.mark.parametrize(
    "task_id",
    [
        pytest.param("2147483648", id="int32-max-plus-1"),
        pytest.param(
            "99999999999999999999",
            id="beyond-int64",
        ),
    ],
)
@pytest.mark.parametrize(
    "command", [["show"], ["update", "--title", "x"], ["done"], ["delete", "--yes"]]
)
def test_out_of_range_id_is_an_error_not_a_traceback(cli, task_id, command):
    result = cli.runner.invoke(
        app, ["--database-url", cli.url, "tasks", command[0], task_id, *command[1:]]
    )

    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stdout == ""
    if int(task_id) <= MAX_ID:  # a possible id: no such task
        assert result.exit_code == 1
        assert task_id in result.stderr
    else:  # no id at all: bad usage, as the API's 422
        assert result.exit_code == 2
        assert str(MAX_ID) in result.stderr


# --- overdue is judged in UTC ----------------------------------------------------------------


@pytest.fixture
def far_from_utc(monkeypatch):
    """A local time zone whose date differs from UTC's right now; yields UTC's today."""
    now = datetime.now(UTC)
    # UTC+14 is a day ahead from 10:00 UTC on; UTC-12 is a day behind until 12:00 UTC.
    zone = "Etc/GMT-14" if now.hour >= 10 else "Etc/GMT+12"
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        assert date.today() != now.date()
        yield now.date()
    finally:
        monkeypatch.undo()
        time.tzset()


def test_overdue_marker_agrees_with_the_overdue_filter_in_any_time_zone(cli, far_from_utc):
    utc_today = far_from_utc
    for offset in (-1, 0):
        cli.add(f"Due {offset:+d}", "--due", (utc_today + timedelta(days=offset)).isoformat())
    overdue = titles(cli.tasks("--overdue"))

    table = cli.ok("tasks", "list").stdout

    assert overdue == ["Due -1"]
    marked = [line for line in table.splitlines() if "(overdue)" in line]
    assert len(marked) == 1
    assert "Due -1" in marked[0]


def test_control_characters_in_stored_text_are_shown_not_sent_to_the_terminal(cli):
    """An imported title may hold ESC sequences; printed raw they would recolour or clear."""
    hostile = "red \x1b[31mtext\x1b[0m \x9b2J bell\x07"
    task_id = cli.add(hostile, "--description", "line one\nline two\rover")

    shown = cli.ok("tasks", "show", str(task_id))
    listed = cli.ok("tasks", "list")
    refused = cli("tasks", "add", "x", "--project", "p\x1b[2J")

    for output in (shown.stdout, listed.stdout, shown.stderr, refused.stderr):
        assert not set(output) & {"\x1b", "\x9b", "\x07", "\r"}, repr(output)
    assert "red \\x1b[31mtext" in shown.stdout
    assert "line two\\x0dover" in shown.stdout
    assert "p\\x1b[2J" in refused.stderr
    assert cli.task(task_id)["title"] == hostile  # the data itself is kept as typed


def test_piped_tables_keep_every_character(cli):
    """Not a terminal and no COLUMNS: Rich would cut at 80 columns, hiding data from grep."""
    title = "T" * 150
    tag = "a" * 32
    cli.add(title, "--tag", tag)

    result = cli("tasks", "list", env={"COLUMNS": None})

    assert result.exit_code == 0
    assert title in result.stdout
    assert tag in result.stdout


@pytest.mark.parametrize("columns", ["80", "60"])
def test_narrow_terminal_tables_fold_long_words_instead_of_cutting_them(cli, columns):
    """A URL, CJK without spaces and a long tag wrap onto more lines; no "…" hides text."""
    title = "See https://example.com/a/very/long/path/that/goes/on/and/on for details"
    cjk = "日本語のタスク名前テスト、全角文字が正しく揃うかどうか確認する"
    project = "some-long-project-name"
    tag = "d" * 24
    cli.ok("projects", "add", project)
    cli.add(title, "--tag", tag, "--project", project)
    cli.add(cjk)

    result = cli("tasks", "list", env={"COLUMNS": columns})

    assert result.exit_code == 0
    cells = "".join(_title_project_tags_cells(result.stdout))
    for text in (title.replace(" ", ""), cjk, project, tag):
        assert text in cells
    assert "…" not in cells


def _title_project_tags_cells(table: str) -> list[str]:
    """The Title, Project and Tags cells of a Rich table, column by column, spaces removed."""
    rows = [line.split("│")[1:-1] for line in table.splitlines() if line.startswith("│")]
    return ["".join(row[i].replace(" ", "") for row in rows) for i in (1, 5, 6)]


def test_update_with_status_points_to_the_status_commands(cli):
    task_id = cli.add("Ship it")

    result = cli.fails(2, "tasks", "update", str(task_id), "--status", "done")

    assert f"tasks start|done|cancel|reopen {task_id}" in result.stderr
    assert cli.task(task_id)["status"] == "todo"
