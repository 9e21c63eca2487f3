"""The server is not a file browser: the Data page reads only cost exports under FINOPS_IMPORT_ROOT,
within caps on files and bytes, and never shows a refused file's contents (analytics.import_root)."""

from __future__ import annotations

import glob
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics import import_root
from analytics.import_root import ImportRefused, ImportRoot, Limits, select
from analytics.store import generation
from tests.app_fixtures import new_app, page_text, pristine_sample
from tests.realdata import FOCUS_SAMPLE, csv_sum
from tests.test_app_data import load_path

TOKEN = "ghp_Pl4nt3dT0kenNeverShown9"
PASSWORD = "hunter2-planted-password"
SECRET_CSV = f"{TOKEN},{PASSWORD}\n1,2\n"  # read as a CSV, its header would be quoted in the error


def plant(root: Path, outside: Path) -> None:
    """Credentials and secrets inside and outside the import folder, each holding the token."""
    for folder in (root, outside):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ".git-credentials").write_text(f"https://user:{TOKEN}@github.com\n", encoding="utf-8")
        (folder / ".env").write_text(f"PASSWORD={PASSWORD}\nTOKEN={TOKEN}\n", encoding="utf-8")
        (folder / "id_rsa").write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{TOKEN}\n", encoding="utf-8")
    (outside / "secret.csv").write_text(SECRET_CSV, encoding="utf-8")


@pytest.fixture
def tree(tmp_path: Path) -> ImportRoot:
    """An import folder with two cost exports, planted secrets, and links leading out of it."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    plant(root, outside)
    (root / "aws" / "2026-05").mkdir(parents=True)
    shutil.copy(FOCUS_SAMPLE, root / "aws" / "2026-05" / "focus.csv")
    (root / "aws" / "june.parquet").write_bytes(b"PAR1")
    (root / "aws" / "notes.txt").write_text(TOKEN, encoding="utf-8")
    (root / "out.csv").symlink_to(outside / "secret.csv")
    (root / "outdir").symlink_to(outside)
    (root / "env.csv").symlink_to(root / ".env")  # an export's name on a secret inside the folder
    found = import_root.configured({import_root.ROOT_VARIABLE: str(root)})
    assert found is not None
    return found


def lines(chosen: import_root.Selection) -> list[str]:
    return [r.line for r in chosen.refused]


def names(root: ImportRoot, chosen: import_root.Selection) -> list[str]:
    return [root.shown(p) for p in chosen.files]


def test_the_loader_is_off_without_the_variable_or_when_it_names_no_folder(tmp_path: Path) -> None:
    assert import_root.configured({}) is None
    assert import_root.configured({import_root.ROOT_VARIABLE: "  "}) is None
    assert import_root.configured({import_root.ROOT_VARIABLE: str(tmp_path / "missing")}) is None
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert import_root.configured({import_root.ROOT_VARIABLE: str(tmp_path / "file")}) is None
    (tmp_path / "link").symlink_to(tmp_path)
    root = import_root.configured({import_root.ROOT_VARIABLE: str(tmp_path / "link")})
    assert root is not None and root.real == tmp_path.resolve()


@pytest.mark.parametrize(
    "typed", ["/etc/passwd", "../outside/secret.csv", "aws/../../outside/.env", "aws/2026-05/../../../outside/*.csv"]
)
def test_a_path_outside_the_folder_is_refused_by_its_name_alone(tree: ImportRoot, typed: str) -> None:
    chosen = select(tree, typed, Limits())
    assert chosen.files == []
    assert lines(chosen) == [f"{typed}: not under the import folder"]


def test_a_link_inside_the_folder_to_a_file_or_folder_outside_is_refused(tree: ImportRoot) -> None:
    for typed, shown in [("out.csv", "out.csv"), ("outdir/secret.csv", "outdir/secret.csv"), ("outdir/*", "outdir")]:
        chosen = select(tree, typed, Limits())
        assert (chosen.files, lines(chosen)) == ([], [f"{shown}: not under the import folder"]), typed
    absolute = select(tree, str(tree.given / "out.csv"), Limits())
    assert lines(absolute) == ["out.csv: not under the import folder"]  # named relative to the folder


def test_credentials_named_outright_are_refused_as_not_cost_exports(tree: ImportRoot) -> None:
    for typed in (".git-credentials", ".env", "id_rsa", "env.csv", "aws/notes.txt"):
        chosen = select(tree, typed, Limits())
        assert (chosen.files, lines(chosen)) == (
            [],
            [f"{typed}: not a cost export (CSV, CSV.gz, Parquet or JSON lines)"],
        ), typed
        assert TOKEN not in lines(chosen)[0]


@pytest.mark.parametrize("typed", ["**", "**/*", ".", "aws/..", str(Path("aws") / "**")])
def test_a_folder_or_double_star_glob_keeps_only_cost_exports_and_lists_nothing_else(
    tree: ImportRoot, typed: str
) -> None:
    chosen = select(tree, typed, Limits())
    expected = ["aws/june.parquet", "aws/2026-05/focus.csv"]
    assert names(tree, chosen) == expected
    if typed.startswith("aws/**"):
        assert lines(chosen) == []
    else:  # the links with an export's name are named and refused; the secrets are not even listed
        assert lines(chosen) == [
            "env.csv: not a cost export (CSV, CSV.gz, Parquet or JSON lines)",
            "out.csv: not under the import folder",
        ]
    assert chosen.total_bytes == sum(p.stat().st_size for p in chosen.files)


def test_globs_match_what_the_command_lines_glob_matches_inside_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "exports"
    for name in ("a.csv", "b.csv.gz", ".hidden.csv", "x/c.csv", "x/y/d.parquet", ".h/e.csv", "x/[1].csv", "z/f.json"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x", encoding="utf-8")
    folder = import_root.configured({import_root.ROOT_VARIABLE: str(root)})
    assert folder is not None
    for pattern in ("*", "*.csv", "**/*.csv", "x/*", "x/**", "*/*.csv", "?/*", "**/[1].csv", "**/[!a]*", ".*", "z/**"):
        expected = sorted(
            os.path.relpath(p, root) for p in glob.glob(str(root / pattern), recursive=True) if os.path.isfile(p)
        )
        assert sorted(names(folder, select(folder, pattern, Limits()))) == expected, pattern


def test_a_named_pipe_with_an_export_name_is_refused_without_being_opened(tree: ImportRoot) -> None:
    os.mkfifo(tree.real / "pipe.csv")  # opening it to read would wait for a writer for ever
    assert lines(select(tree, "pipe.csv", Limits())) == ["pipe.csv: not a regular file"]


def test_a_link_loop_or_a_dangling_link_ends_the_search_with_a_one_line_refusal(tree: ImportRoot) -> None:
    (tree.real / "aws" / "loop").symlink_to(tree.real / "aws")
    (tree.real / "gone.csv").symlink_to(tree.real / "nowhere.csv")
    (tree.real / "self.csv").symlink_to(tree.real / "self.csv")
    chosen = select(tree, "**/*.csv", Limits())
    assert names(tree, chosen) == ["aws/2026-05/focus.csv"]
    assert "gone.csv: a link that leads nowhere" in lines(chosen)
    assert "self.csv: a link that leads nowhere" in lines(chosen)


def test_a_path_that_names_nothing_says_so_in_one_line(tree: ImportRoot) -> None:
    assert lines(select(tree, "nowhere", Limits())) == ["nowhere: no such file or folder"]
    assert lines(select(tree, "aws/*.xlsx", Limits())) == [
        "aws/*.xlsx: no cost exports (CSV, CSV.gz, Parquet or JSON lines) found there"
    ]


def test_the_file_cap_refuses_the_whole_load_naming_the_cap_and_its_variable(tree: ImportRoot) -> None:
    with pytest.raises(ImportRefused) as refused:
        select(tree, "**", Limits(max_files=1))
    assert str(refused.value) == (
        "This load names more than 1 file, the cap per load; nothing was loaded. "
        "Name a narrower folder or glob, or have the admin raise FINOPS_IMPORT_MAX_FILES."
    )
    assert names(tree, select(tree, "aws/**/*.csv", Limits(max_files=1))) == ["aws/2026-05/focus.csv"]  # at the cap


def test_the_byte_cap_refuses_the_whole_load_naming_the_total_and_the_cap(tree: ImportRoot) -> None:
    size = (tree.real / "aws" / "2026-05" / "focus.csv").stat().st_size + 4
    assert select(tree, "aws", Limits(max_bytes=size)).total_bytes == size  # at the cap is allowed
    with pytest.raises(ImportRefused, match=r"This load names 2 files totalling .*, more than the cap of") as refused:
        select(tree, "aws", Limits(max_bytes=size - 1))
    assert "FINOPS_IMPORT_MAX_BYTES" in str(refused.value) and "nothing was loaded" in str(refused.value)


def test_the_caps_come_from_the_environment_and_a_bad_value_is_refused_in_one_line() -> None:
    assert import_root.limits({}) == Limits(500, 20_000_000_000)
    assert import_root.limits({"FINOPS_IMPORT_MAX_FILES": "20", "FINOPS_IMPORT_MAX_BYTES": "1_000"}) == Limits(20, 1000)
    assert import_root.caps_text(Limits()) == "500 files and 20 GB"
    for bad in ("0", "-3", "ten", "1e9"):
        with pytest.raises(ImportRefused, match="FINOPS_IMPORT_MAX_FILES must be a whole number above 0"):
            import_root.limits({"FINOPS_IMPORT_MAX_FILES": bad})


# The Data page, through AppTest.


@pytest.fixture
def store(sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "store.duckdb"
    pristine_sample(db)
    monkeypatch.setenv("FINOPS_DB", str(db))
    return db


@pytest.fixture
def page_root(tree: ImportRoot, monkeypatch: pytest.MonkeyPatch) -> ImportRoot:
    monkeypatch.setenv(import_root.ROOT_VARIABLE, str(tree.given))
    return tree


def data_page() -> AppTest:
    at = new_app(page="app_pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def rejected(at: AppTest) -> list[str]:
    """The report's one-line refusals (the page's other code blocks are command lines)."""
    return [line for c in at.code for line in c.value.splitlines() if not line.startswith("python -m analytics")]


def test_without_an_import_folder_the_page_has_no_server_path_loader_and_says_how_to_turn_it_on(
    store: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for setting in (None, str(tmp_path / "missing")):
        if setting is None:
            monkeypatch.delenv(import_root.ROOT_VARIABLE, raising=False)
        else:
            monkeypatch.setenv(import_root.ROOT_VARIABLE, setting)
        at = data_page()
        assert not [t for t in at.text_input if t.key == "data_path"]
        assert not [b for b in at.button if b.key == "data_load_path"]
        assert not at.tabs  # the uploader alone
        [off] = [c.value for c in at.caption if "FINOPS_IMPORT_ROOT" in c.value]
        assert off.startswith("Loading files from a folder on the server is off: an admin turns it on")


def test_with_an_import_folder_the_page_offers_it_with_its_caps(
    store: Path, page_root: ImportRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FINOPS_IMPORT_MAX_FILES", "40")
    at = data_page()
    assert at.text_input(key="data_path").label == "Path under the import folder"
    assert any(c.value.startswith("At most 40 files and 20 GB per load") for c in at.caption)
    assert str(page_root.real) not in page_text(at)  # the folder's own path is not shown either


def test_passwd_and_dot_dot_escapes_are_refused_with_nothing_of_the_file_on_the_page(
    store: Path, page_root: ImportRoot
) -> None:
    at = data_page()
    before = generation(store)  # after the first run, which makes the copied database a store
    for typed in ("/etc/passwd", "../../../../../../etc/passwd", "aws/../../outside/secret.csv"):
        at = load_path(at, typed)
        assert rejected(at) == [f"{typed}: not under the import folder"]
        text = page_text(at)
        assert f"{typed}: not under the import folder" in text  # the walk sees the report: the next check can fail
        assert "root:x:0:0" not in text and TOKEN not in text and PASSWORD not in text
    assert generation(store) == before  # refused before the write lock: no new generation


def test_planted_credentials_inside_and_outside_the_folder_are_refused_with_their_secrets_nowhere(
    store: Path, page_root: ImportRoot
) -> None:
    at = data_page()
    before = generation(store)  # after the first run, which makes the copied database a store
    cases = {
        ".git-credentials": "not a cost export (CSV, CSV.gz, Parquet or JSON lines)",
        ".env": "not a cost export (CSV, CSV.gz, Parquet or JSON lines)",
        "env.csv": "not a cost export (CSV, CSV.gz, Parquet or JSON lines)",
        "../outside/.git-credentials": "not under the import folder",
        "../outside/.env": "not under the import folder",
        str(page_root.real.parent / "outside" / ".env"): "not under the import folder",
        "outdir/.git-credentials": "not under the import folder",
        "out.csv": "not under the import folder",
    }
    for typed, problem in cases.items():
        at = load_path(at, typed)
        assert rejected(at) == [f"{typed}: {problem}"]
        text = page_text(at)
        assert TOKEN not in text and PASSWORD not in text, typed
    assert generation(store) == before


@pytest.mark.slow
def test_a_double_star_glob_loads_only_the_cost_exports_and_lists_nothing_else(
    store: Path, page_root: ImportRoot
) -> None:
    (page_root.real / "aws" / "june.parquet").unlink()  # keep one good export: a batch of one load
    at = load_path(data_page(), "**")
    result = [d.value for d in at.dataframe if "Result" in d.value.columns][0]
    assert result["File"].tolist() == ["aws/2026-05/focus.csv", "env.csv", "out.csv"]
    assert result["Result"].tolist() == ["loaded", "rejected", "rejected"]
    assert rejected(at) == [
        "env.csv: not a cost export (CSV, CSV.gz, Parquet or JSON lines)",
        "out.csv: not under the import folder",
    ]
    text = page_text(at)
    assert TOKEN not in text and PASSWORD not in text
    for hidden in (".git-credentials", ".env", "id_rsa", "notes.txt"):
        assert hidden not in text, hidden


@pytest.mark.slow
def test_a_cost_export_under_the_folder_loads_with_its_total_equal_to_the_csv(
    store: Path, page_root: ImportRoot
) -> None:
    at = data_page()
    before = generation(store)
    at = load_path(at, "aws/2026-05/focus.csv")
    assert any("1 of 1 file loaded" in s.value for s in at.success), [e.value for e in at.warning]
    [result] = [d.value for d in at.dataframe if "Result" in d.value.columns]
    expected = "; ".join(
        f"{total.quantize(Decimal('0.01')):,} {currency}"
        for currency, total in sorted(csv_sum(FOCUS_SAMPLE, "BilledCost", by="BillingCurrency").items())
    )
    row = result.iloc[0]
    assert (row["File"], row["Result"], row["Rows loaded"], row["BilledCost"]) == (
        "aws/2026-05/focus.csv",
        "loaded",
        "1,000",
        expected,
    )
    assert generation(store) > before


@pytest.mark.parametrize(
    ("variable", "value", "typed", "said"),
    [
        (
            "FINOPS_IMPORT_MAX_FILES",
            "1",
            "aws",
            "This load names more than 1 file, the cap per load; nothing was loaded. "
            "Name a narrower folder or glob, or have the admin raise FINOPS_IMPORT_MAX_FILES.",
        ),
        (
            "FINOPS_IMPORT_MAX_BYTES",
            "1000",
            "aws/2026-05/focus.csv",
            "more than the cap of 1 kB per load; nothing was loaded",
        ),
    ],
)
def test_over_a_cap_nothing_is_read_or_written_and_the_refusal_names_the_cap(
    store: Path,
    page_root: ImportRoot,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    typed: str,
    said: str,
) -> None:
    monkeypatch.setenv(variable, value)
    at = data_page()
    before = generation(store)
    at = load_path(at, typed)
    [refusal] = [e.value for e in at.error]
    assert said in refusal and variable in refusal
    assert not at.get("status") and not [d for d in at.dataframe if "Result" in d.value.columns]
    assert generation(store) == before
