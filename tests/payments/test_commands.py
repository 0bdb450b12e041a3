"""The payments' commands: loading a sanctions list (and refusing what is not one), and
creating a finalized month's batch from the shell, once."""

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from payments.models import PaymentBatch, SanctionsList
from payments.sanctions import name_words, screen

pytestmark = pytest.mark.django_db


def test_a_list_with_aliases_is_loaded_and_names_match_in_any_order(tmp_path: Path) -> None:
    sdn, alt = tmp_path / "sdn.csv", tmp_path / "alt.csv"
    sdn.write_bytes(
        '7,"MÜLLER, José",individual,"X",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'.encode("latin-1")
    )
    alt.write_text('7,1,"aka","Pepe Mueller",-0- \n', encoding="latin-1")
    out = StringIO()
    call_command("load_sanctions_list", str(sdn), "--aliases", str(alt), stdout=out)
    assert "Loaded 2 names" in out.getvalue()
    assert screen(["jose muller"]).result == "hit"
    assert screen(["José Antonio Müller"]).result == "hit"  # a middle name does not hide it
    assert screen(["Pepe MUELLER"]).match == "Pepe Mueller"
    assert screen(["José Martínez"]).result == "clean"
    assert name_words("O'Brien-Smith, Ann") == ("ann", "brien", "o", "smith")


def test_a_file_that_is_not_a_list_is_refused_whole(tmp_path: Path) -> None:
    bad = tmp_path / "names.csv"
    bad.write_text("name\nSomeone\n")
    with pytest.raises(CommandError, match="Nothing was loaded"):
        call_command("load_sanctions_list", str(bad))
    with pytest.raises(CommandError, match="No file"):
        call_command("load_sanctions_list", str(tmp_path / "missing.csv"))
    assert not SanctionsList.objects.exists()
    assert screen(["anyone"]).result == "no_list"


def test_payout_remit_creates_the_batch_once(world: dict[str, Any]) -> None:
    out = StringIO()
    call_command("payout_remit", "2026-10", stdout=out)
    call_command("payout_remit", "2026-10", stdout=out)
    assert "Created batch" in out.getvalue() and "Already created" in out.getvalue()
    assert PaymentBatch.objects.count() == 1
    with pytest.raises(CommandError, match="not finalized"):
        call_command("payout_remit", "2026-11")
    with pytest.raises(CommandError):
        call_command("payout_remit", "October")
