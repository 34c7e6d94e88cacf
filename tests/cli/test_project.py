"""`app-cli projects …`: by name (ignoring case) or by id; tasks follow a rename."""

import json
from types import SimpleNamespace

import pytest

from cli.main import app

PROJECT_READ_KEYS = {"id", "name", "description", "created_at", "updated_at"}


def test_add_says_so_on_stderr_and_prints_nothing_on_stdout(cli):
    result = cli.ok("projects", "add", "  Work  ", "--description", "Day job")

    assert result.stdout == ""
    assert "Created project Work (id " in result.stderr
    project = cli.json("projects", "show", "Work")
    assert project["name"] == "Work"
    assert project["description"] == "Day job"


def test_add_json_prints_one_project_document(cli):
    result = cli.ok("projects", "add", "Work", "--json")

    project = json.loads(result.stdout)
    assert set(project) == PROJECT_READ_KEYS
    assert project["name"] == "Work"
    assert project["description"] is None


def test_add_duplicate_name_ignoring_case_exits_1(cli):
    cli.ok("projects", "add", "Work")

    result = cli.fails(1, "projects", "add", "WORK")

    assert "already exists" in result.stderr
    assert [p["name"] for p in cli.json("projects", "list")["items"]] == ["Work"]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["x" * 101], id="name-101-chars"),
        pytest.param(["   "], id="blank-name"),
        pytest.param(["Work", "--description", "d" * 2001], id="description-2001-chars"),
    ],
)
def test_add_invalid_input_exits_2(cli, args):
    result = cli.fails(2, "projects", "add", *args)

    assert "Invalid input" in result.stderr
    assert cli.json("projects", "list")["items"] == []


def test_list_prints_a_table_sorted_by_name(cli):
    cli.ok("projects", "add", "Work", "--description", "Day job")
    cli.ok("projects", "add", "home")

    result = cli.ok("projects", "list")

    assert "Day job" in result.stdout
    assert 0 <= result.stdout.index("home") < result.stdout.index("Work")
    listed = cli.json("projects", "list")
    assert set(listed) == {"items"}
    assert [p["name"] for p in listed["items"]] == ["home", "Work"]
    assert all(set(p) == PROJECT_READ_KEYS for p in listed["items"])


def test_list_without_projects_says_how_to_add_one(cli):
    result = cli.ok("projects", "list")

    assert result.stdout == ""
    assert "projects add" in result.stderr


def test_show_by_name_ignoring_case_and_by_id(cli):
    created = cli.json("projects", "add", "Work", "--description", "Day job")

    by_name = cli.json("projects", "show", "wORK")
    by_id = cli.json("projects", "show", str(created["id"]))
    table = cli.ok("projects", "show", "work")

    assert by_name == by_id == created
    assert "Work" in table.stdout
    assert "Day job" in table.stdout


def test_show_unknown_project_exits_1(cli):
    result = cli.fails(1, "projects", "show", "Nowhere")

    assert "Nowhere" in result.stderr


def test_rename_keeps_tasks_attached(cli):
    cli.ok("projects", "add", "Old")
    task_id = cli.add("Write the report", "--project", "Old")

    result = cli.ok("projects", "rename", "old", "New")

    assert "Renamed to New" in result.stderr
    assert [t["id"] for t in cli.tasks("--project", "New")] == [task_id]
    assert cli.task(task_id)["project"] == "New"
    assert cli.tasks("--project", "Old") == []
    cli.fails(1, "projects", "show", "Old")


def test_rename_by_id_and_to_a_different_case(cli):
    created = cli.json("projects", "add", "work")

    renamed = cli.json("projects", "rename", str(created["id"]), "Work")

    assert renamed["id"] == created["id"]
    assert renamed["name"] == "Work"


def test_rename_to_another_projects_name_exits_1(cli):
    cli.ok("projects", "add", "Work")
    cli.ok("projects", "add", "Home")

    result = cli.fails(1, "projects", "rename", "Home", "WORK")

    assert "already exists" in result.stderr
    assert [p["name"] for p in cli.json("projects", "list")["items"]] == ["Home", "Work"]


def test_rename_unknown_project_exits_1(cli):
    cli.fails(1, "projects", "rename", "Nowhere", "Somewhere")


def test_delete_project_in_use_exits_1_and_deletes_nothing(cli):
    cli.ok("projects", "add", "Work")
    task_id = cli.add("Write the report", "--project", "Work")

    result = cli.fails(1, "projects", "delete", "Work", "--yes")

    assert "still has tasks" in result.stderr
    assert cli.json("projects", "show", "Work")["name"] == "Work"
    assert cli.task(task_id)["project"] == "Work"


def test_delete_by_id_with_yes(cli):
    created = cli.json("projects", "add", "Work")
    cli.ok("projects", "add", "Home")

    result = cli.ok("projects", "delete", str(created["id"]), "--yes")

    assert result.stdout == ""
    assert "Deleted project Work" in result.stderr
    assert [p["name"] for p in cli.json("projects", "list")["items"]] == ["Home"]


def test_delete_by_name_ignoring_case(cli):
    cli.ok("projects", "add", "Work")

    cli.ok("projects", "delete", "WORK", "-y")

    assert cli.json("projects", "list")["items"] == []


def test_delete_without_yes_off_a_terminal_exits_2(cli):
    cli.ok("projects", "add", "Work")

    result = cli.fails(2, "projects", "delete", "Work")

    assert "--yes" in result.stderr
    assert cli.json("projects", "show", "Work")["name"] == "Work"


def test_delete_on_a_terminal_names_the_project_it_asks_about(cli, monkeypatch):
    from cli import prompt

    monkeypatch.setattr(prompt, "sys", SimpleNamespace(stdin=SimpleNamespace(isatty=lambda: True)))
    project_id = cli.json("projects", "add", "Garden Shed")["id"]

    result = cli("projects", "delete", str(project_id), input="y\n")

    assert result.exit_code == 0, result.stderr
    assert f"Delete project 'Garden Shed' (id {project_id})?" in result.stderr
    assert cli.json("projects", "list")["items"] == []


def test_delete_unknown_project_exits_1(cli):
    result = cli.fails(1, "projects", "delete", "Nowhere", "--yes")

    assert "Nowhere" in result.stderr


def test_show_by_an_id_beyond_64_bits_is_an_error_not_a_traceback(cli):
    result = cli.runner.invoke(
        app, ["--database-url", cli.url, "projects", "show", "99999999999999999999"]
    )

    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1
    assert "99999999999999999999" in result.stderr
