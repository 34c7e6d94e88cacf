"""`app-cli stats [--json]`."""

import json

PAST = "2000-01-01"

SEED_PROJECTS = ["Work", "Home"]
SEED_TASKS = [
    {"title": "A", "priority": "high", "due_date": PAST, "project": "Work"},
    {"title": "B", "status": "in_progress", "priority": "low", "due_date": "2999-12-31"},
    {"title": "C", "status": "done", "priority": "urgent", "due_date": PAST, "project": "Work"},
    {"title": "D", "status": "cancelled", "due_date": PAST, "project": "Home"},
    {"title": "E", "due_date": "2030-01-01", "project": "Work"},
    {"title": "F", "priority": "low", "due_date": PAST},
]


def counts(todo=0, in_progress=0, done=0, cancelled=0):
    return {"todo": todo, "in_progress": in_progress, "done": done, "cancelled": cancelled}


def test_json_of_an_empty_tracker_lists_every_status_and_priority(cli):
    result = cli.ok("stats", "--json")

    assert json.loads(result.stdout) == {
        "total": 0,
        "by_status": counts(),
        "by_priority": {"low": 0, "medium": 0, "high": 0, "urgent": 0},
        "overdue": 0,
        "by_project": [],
    }


def test_json_counts_by_status_priority_overdue_and_project(cli, seed):
    seed(SEED_PROJECTS, SEED_TASKS)

    stats = cli.json("stats")

    assert set(stats) == {"total", "by_status", "by_priority", "overdue", "by_project"}
    assert stats["total"] == 6
    assert stats["by_status"] == counts(todo=3, in_progress=1, done=1, cancelled=1)
    assert stats["by_priority"] == {"low": 2, "medium": 2, "high": 1, "urgent": 1}
    assert stats["overdue"] == 2  # A and F; C is done and D cancelled
    assert stats["by_project"] == [
        {"project": "Home", "total": 1, "overdue": 0, "by_status": counts(cancelled=1)},
        {"project": "Work", "total": 3, "overdue": 1, "by_status": counts(todo=2, done=1)},
        {"project": None, "total": 2, "overdue": 1, "by_status": counts(todo=1, in_progress=1)},
    ]


def test_table_shows_totals_and_projects(cli, seed):
    seed(SEED_PROJECTS, SEED_TASKS)

    result = cli.ok("stats")

    lines = result.stdout.splitlines()
    assert any("Total" in line and "6" in line for line in lines)
    assert any("Overdue" in line and "2" in line for line in lines)
    for text in ("in_progress", "urgent", "Project", "Work", "Home", "(none)"):
        assert text in result.stdout
    assert result.stderr == ""


def test_table_of_an_empty_tracker(cli):
    result = cli.ok("stats")

    assert any("Total" in line and "0" in line for line in result.stdout.splitlines())
    assert "Project" not in result.stdout
