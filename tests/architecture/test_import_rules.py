"""The house's import, rounding and size rules (docs/architecture.md), and proof that each can fail.

Every rule is shown failing on a small project built in tmp_path, so that a green real-tree
check means the tree keeps its shape, not that the checker sees nothing.
"""

import shutil
import textwrap
from pathlib import Path

from tests.architecture.imports import (
    CYCLE_RULE,
    DEMO_RULE,
    LAYERS,
    LAYERS_RULE,
    LOCAL_RULE,
    MAX_LINES,
    ROUNDING_RULE,
    SIZE_RULE,
    TASKS_RULE,
    Finding,
    findings_summary,
    house_check,
)

REPO = Path(__file__).resolve().parents[2]


def tree(root: Path, files: dict[str, str]) -> Path:
    """Write a fake project: every folder on the way to a file becomes a package."""
    for relpath, text in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        for folder in [path.parent, *path.parent.parents]:
            if folder == root or root not in folder.parents:
                break
            (folder / "__init__.py").touch()
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def breaches(root: Path) -> set[tuple[str, int, str]]:
    return {(f.path, f.line, f.rule) for f in house_check(root)}


def test_imports_down_and_within_an_app_are_fine(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "kalipxo/money.py": "from decimal import Decimal\n",
            "artists/models.py": "import kalipxo.money\nfrom kalipxo import money\n",
            "streams/live/store.py": (
                "from . import pricing\nfrom .pricing import p\nfrom ..models import M\n"
            ),
            "streams/live/pricing.py": "from artists.models import Y\n",
            "streams/models.py": "from artists import models\n",
            "payouts/tasks.py": "from streams.tasks import apply\nfrom payouts import services\n",
            "payouts/services.py": "import django.db\nfrom streams.live import store\n",
            "streams/tasks.py": "from streams.live import store\n",
            "demo/load.py": "from payouts import services\nfrom frontend import views\n",
            "frontend/views.py": "from payouts.services import run\nfrom ledger.selectors import lines\n",
            "ledger/selectors.py": "from streams.models import X\n",
        },
    )
    assert house_check(tmp_path) == []


def test_an_upward_import_is_reported(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "kalipxo/api.py": "import json\n\nfrom artists.models import ApiClient\n",
            "artists/models.py": "",
            "ledger/services.py": "from payouts import run\n",
            "payouts/run/__init__.py": "",
        },
    )
    findings = house_check(tmp_path)
    assert {(f.path, f.line, f.rule) for f in findings} == {
        ("kalipxo/api.py", 3, LAYERS_RULE),
        ("ledger/services.py", 1, LAYERS_RULE),
    }
    assert "kalipxo imports artists.models, a higher layer (artists)" in str(findings[0])
    assert str(findings[0]).startswith("kalipxo/api.py:3: [layers] ")


def test_an_upward_relative_import_beyond_the_app_is_reported(tmp_path: Path) -> None:
    # `from ..payouts import x` inside streams/ names payouts: a relative path is no way around.
    tree(tmp_path, {"streams/views.py": "from ..payouts import services\n", "payouts/services.py": ""})
    assert breaches(tmp_path) == {("streams/views.py", 1, LAYERS_RULE)}


def test_a_cycle_is_reported_with_its_path(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "payouts/run/state.py": "from payouts.run import steps\n",
            "payouts/run/steps.py": "from .finalize import finish\n",
            "payouts/run/finalize.py": "import os\n\nfrom . import state\n",
            "payouts/engine/chunks.py": "from payouts.engine import merge\n",
            "payouts/engine/merge.py": "from payouts.engine.scratch import drop\n",
            "payouts/engine/scratch.py": "",
        },
    )
    findings = house_check(tmp_path)
    assert [(f.path, f.line, f.rule) for f in findings] == [("payouts/run/finalize.py", 3, CYCLE_RULE)]
    assert "payouts.run.finalize -> payouts.run.state -> payouts.run.steps -> payouts.run.finalize" in (
        findings[0].message
    )


def test_a_cycle_through_a_function_local_import_is_still_a_cycle(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "payouts/services.py": "from payouts import hold_decisions\n",
            "payouts/hold_decisions.py": "def decide():\n    from payouts import services\n",
        },
    )
    assert breaches(tmp_path) == {
        ("payouts/hold_decisions.py", 2, CYCLE_RULE),
        ("payouts/hold_decisions.py", 2, LOCAL_RULE),
    }


def test_importing_demo_is_reported(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "demo/load.py": "from demo.catalog import make\n",
            "demo/catalog.py": "from artists.models import Artist\n",
            "artists/models.py": "",
            "frontend/views.py": "from demo import load\n",
            "streams/selectors.py": "import demo.catalog\n",
        },
    )
    findings = house_check(tmp_path)
    assert {(f.path, f.line, f.rule) for f in findings} == {
        ("frontend/views.py", 1, DEMO_RULE),
        ("streams/selectors.py", 1, DEMO_RULE),
    }
    assert all("nothing outside demo/ may import" in f.message for f in findings)


def test_importing_a_tasks_module_outside_tasks_py_is_reported(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "streams/tasks.py": "",
            "streams/live/dispatch.py": "from streams.tasks import apply_live_batch\n",
            "payouts/tasks.py": "from streams import tasks\n",
            "payouts/run/tasks.py": "import payouts.tasks\n",
            "payouts/run/driver.py": "from payouts.run import tasks\nfrom . import tasks as run_tasks\n",
            "payouts/services.py": "import payouts.run.tasks\n",
        },
    )
    findings = house_check(tmp_path)
    assert {(f.path, f.line, f.rule) for f in findings} == {
        ("streams/live/dispatch.py", 1, TASKS_RULE),
        ("payouts/run/driver.py", 1, TASKS_RULE),
        ("payouts/run/driver.py", 2, TASKS_RULE),
        ("payouts/services.py", 1, TASKS_RULE),
    }
    assert all("enqueue by the task's stable name" in f.message for f in findings)


def test_a_function_local_import_is_reported_except_in_app_config_ready(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "kalipxo/db.py": "",
            "artists/apps.py": """
                from django.apps import AppConfig


                class ArtistsConfig(AppConfig):
                    name = "artists"

                    def ready(self) -> None:
                        import kalipxo.db  # noqa: F401
            """,
            "artists/selectors.py": """
                import json


                def artist_page():
                    import decimal

                    from artists import apps

                    return json, decimal, apps


                class Page:
                    def ready(self):
                        from kalipxo import db

                        def inner():
                            from . import apps
            """,
        },
    )
    assert breaches(tmp_path) == {
        ("artists/selectors.py", 7, LOCAL_RULE),
        ("artists/selectors.py", 14, LOCAL_RULE),
        ("artists/selectors.py", 17, LOCAL_RULE),
    }


def test_rounding_outside_kalipxo_money_is_reported(tmp_path: Path) -> None:
    stray = """
        import decimal
        from decimal import ROUND_HALF_UP, Decimal


        def cents(value: Decimal) -> Decimal:
            return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


        def whole(value: Decimal) -> int:
            return int(value.to_integral_value(rounding=decimal.ROUND_FLOOR))


        WIDE = decimal.Context(prec=50, rounding="ROUND_HALF_EVEN")


        def display(value: Decimal) -> Decimal:
            with decimal.localcontext() as context:
                context.rounding = "ROUND_DOWN"
                return +value
    """
    tree(tmp_path, {"kalipxo/money.py": stray, "frontend/templatetags/kx.py": stray})
    findings = house_check(tmp_path)
    assert {(f.path, f.line, f.rule) for f in findings} == {
        ("frontend/templatetags/kx.py", line, ROUNDING_RULE) for line in (2, 6, 10, 13, 18)
    }
    assert all("kalipxo/money.py" in f.message for f in findings)


def test_a_long_module_is_reported_unless_it_says_why(tmp_path: Path) -> None:
    body = "x = 1\n" * MAX_LINES
    tree(
        tmp_path,
        {
            "payouts/at_the_limit.py": body,
            "payouts/too_long.py": '"""The run."""\n' + body,
            "payouts/says_why.py": '"""The run.\n\nLong because: one statement.\n"""\n' + body,
            "payouts/migrations/0001_initial.py": body * 2,
        },
    )
    findings = house_check(tmp_path)
    assert [(f.path, f.line, f.rule) for f in findings] == [("payouts/too_long.py", 1, SIZE_RULE)]
    assert "401 lines" in findings[0].message


def test_migrations_keep_the_import_rules(tmp_path: Path) -> None:
    tree(tmp_path, {"streams/migrations/0002_x.py": "import payouts.fields\n", "payouts/fields.py": ""})
    assert breaches(tmp_path) == {("streams/migrations/0002_x.py", 1, LAYERS_RULE)}


def test_an_upward_import_added_to_the_real_tree_is_reported(tmp_path: Path) -> None:
    for app in LAYERS:
        if (REPO / app).is_dir():
            shutil.copytree(REPO / app, tmp_path / app, ignore=shutil.ignore_patterns("__pycache__"))
    before = set(house_check(tmp_path))
    module = tmp_path / "kalipxo" / "money.py"
    text = module.read_text(encoding="utf-8")
    module.write_text(text + "from frontend import views  # noqa: E402\n", encoding="utf-8")
    line = len(text.splitlines()) + 1

    added = set(house_check(tmp_path)) - before
    layer_breaches = {(f.path, f.line, f.rule) for f in added if f.rule != CYCLE_RULE}
    assert layer_breaches == {("kalipxo/money.py", line, LAYERS_RULE)}
    # The import also closes cycles (frontend reaches kalipxo.money); each runs through it.
    assert all("kalipxo.money" in f.message for f in added if f.rule == CYCLE_RULE)


def test_the_house_keeps_its_shape() -> None:
    findings: list[Finding] = house_check(REPO)
    assert findings == [], "The house's rules (docs/architecture.md) are broken:\n" + findings_summary(
        findings
    )
