"""`app-cli stats`."""

from typing import TYPE_CHECKING, Annotated

import typer

from cli import output
from cli.runtime import run

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.schemas.stats import Stats


def show_stats(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
) -> None:
    """Counts by status, priority, overdue and project."""

    async def work(session: "AsyncSession") -> "Stats":
        from app.services.stats import StatsService

        return await StatsService.from_session(session).compute()

    stats = run(ctx, work, write=False)
    if as_json:
        output.print_json(stats)
        return
    console = output.stdout()
    summary = [("Total", str(stats.total)), ("Overdue", str(stats.overdue))]
    summary += [(f"  {k}", str(v)) for k, v in stats.by_status.items()]
    summary += [(f"  {k}", str(v)) for k, v in stats.by_priority.items()]
    console.print(output.panel("Tasks", summary))
    if stats.by_project:
        table = output.new_table()
        for column in ("Project", "Total", "Overdue", *stats.by_status):
            table.add_column(column, justify="left" if column == "Project" else "right")
        for row in stats.by_project:
            table.add_row(
                output.escape(row.project or "(none)"),
                str(row.total),
                str(row.overdue),
                *(str(v) for v in row.by_status.values()),
            )
        console.print(table)
