"""The `stpbot` command through its real entry point: in-process, and in a subprocess
where only a real process shows it (exit codes, no traceback, start-up cost)."""

from __future__ import annotations

import json
import time

from stpbot.index.store import current_version

SOURCE_KEYS = {"id", "title", "publisher", "author", "date", "url", "path", "locator"}


def _one_line_error(result):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


def test_help_is_instant(run_cli_process):
    started = time.perf_counter()
    result = run_cli_process("--help")
    assert result.returncode == 0
    assert "ask" in result.stdout and "index" in result.stdout
    # No torch or model at import: well under the seconds a model load takes.
    assert time.perf_counter() - started < 5


def test_ask_json_follows_the_contract(run_cli, built):
    knowledge, index = built
    result = run_cli("ask", "When were STPs submitted?", "--json", knowledge=knowledge, index=index)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"question", "answered", "passages"}
    assert data["answered"] is True
    assert 1 <= len(data["passages"]) <= 3
    for passage in data["passages"]:
        assert set(passage) == {"text", "highlight", "score", "source", "speaker"}
        assert set(passage["source"]) == SOURCE_KEYS
        assert passage["highlight"] in passage["text"]
        assert isinstance(passage["score"], float)
    assert "submitted on 21 October" in data["passages"][0]["highlight"]
    assert result.stderr == ""  # quiet: no progress bars or model chatter off a terminal


def test_ask_json_stdin_answers_each_line_in_order(run_cli, built):
    knowledge, index = built
    questions = [
        "Are management consultants involved in the plans?",
        "What is the recipe for a Victoria sponge cake?",
        "Who is Rhion Jones?",
    ]
    result = run_cli(
        "ask", "--json", "-", knowledge=knowledge, index=index, stdin="\n".join(questions) + "\n"
    )
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["question"] for o in objects] == questions
    assert [o["answered"] for o in objects] == [True, False, True]
    assert objects[1]["passages"] == []


def test_ask_text_output_is_readable(run_cli, built):
    knowledge, index = built
    result = run_cli("ask", "Who is Rhion Jones?", knowledge=knowledge, index=index)
    assert result.returncode == 0
    assert "Q: Who is Rhion Jones?" in result.stdout
    assert "1. “Rhion Jones is considered a leading authority" in result.stdout
    assert (
        "— Institute commentary on King’s Fund STP Implementation Report"
        " · The Consultation Institute" in result.stdout
    )
    assert "{" not in result.stdout  # no raw dicts


def test_nothing_found_suggests_topics(run_cli, built):
    knowledge, index = built
    result = run_cli(
        "ask", "Who won the 2018 football World Cup?", knowledge=knowledge, index=index
    )
    assert result.returncode == 0
    assert "I could not find this in the briefings." in result.stdout
    assert "stpbot topics" in result.stdout


def test_empty_and_huge_questions_exit_2(run_cli, run_cli_process, built):
    knowledge, index = built
    empty = run_cli_process("ask", "  ", knowledge=knowledge, index=index)
    assert "empty" in _one_line_error(empty)
    huge = "x" * 100_000
    assert "limit" in _one_line_error(run_cli("ask", huge, knowledge=knowledge, index=index))


def test_corrupt_index_exits_2_and_names_the_fix(run_cli, workspace):
    knowledge, index = workspace
    (current_version(index) / "passages.jsonl").write_text("garbage\n")
    message = _one_line_error(
        run_cli("ask", "When were STPs submitted?", knowledge=knowledge, index=index)
    )
    assert "stpbot index" in message


def test_missing_index_is_built_on_first_ask(run_cli, built, tmp_path):
    knowledge, _ = built
    fresh = tmp_path / "fresh-index"
    result = run_cli("ask", "When were STPs submitted?", "--json", knowledge=knowledge, index=fresh)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["answered"]
    assert "indexed 5 documents" in result.stderr


def test_no_documents_exit_2(run_cli, tmp_path):
    (tmp_path / "empty").mkdir()
    message = _one_line_error(
        run_cli("index", knowledge=tmp_path / "empty", index=tmp_path / "idx")
    )
    assert "no documents" in message
    missing = _one_line_error(
        run_cli("ask", "hello", knowledge=tmp_path / "nope", index=tmp_path / "idx")
    )
    assert "does not exist" in missing


def test_non_utf8_file_is_skipped_named_and_exit_2(run_cli, run_cli_process, workspace):
    knowledge, index = workspace
    (knowledge / "latin.txt").write_bytes("Caf\u00e9 culture in the NHS.".encode("latin-1"))
    result = run_cli_process("index", knowledge=knowledge, index=index)
    assert result.returncode == 2
    assert "latin.txt is not UTF-8 text" in result.stderr
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip().splitlines()[-1].startswith("Error: 1 file(s) could not be indexed")
    )
    # The good documents are live and answer.
    ok = run_cli("ask", "When were STPs submitted?", "--json", knowledge=knowledge, index=index)
    assert ok.returncode == 0 and json.loads(ok.stdout)["answered"]


def test_a_link_out_of_the_knowledge_folder_is_skipped_unread(run_cli, workspace, tmp_path):
    knowledge, index = workspace
    secret = tmp_path / "outside" / "payroll.md"
    secret.parent.mkdir()
    secret.write_text("# Payroll\n\nThe chief executive is paid a secret bonus.\n")
    (knowledge / "payroll.md").symlink_to(secret)
    (knowledge / "sub").mkdir()
    (knowledge / "sub" / "again.md").symlink_to(knowledge / "libre-engagement-and-collaboration.md")
    result = run_cli("index", knowledge=knowledge, index=index)
    assert result.returncode == 2
    assert "payroll.md: a link to a file outside the knowledge folder" in result.stderr
    assert "again.md" not in result.stderr  # a link inside the folder is a document
    asked = run_cli(
        "ask",
        "what secret bonus is the chief executive paid?",
        "--json",
        knowledge=knowledge,
        index=index,
    )
    assert "secret bonus" not in json.dumps(json.loads(asked.stdout)["passages"])
    sources = run_cli("sources", "--json", knowledge=knowledge, index=index)
    assert "sub/again.md" in sources.stdout and "payroll" not in sources.stdout


def test_eval_json(run_cli, built, tmp_path):
    knowledge, index = built
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"id": "a", "question": "When were STPs submitted?",'
        ' "expect": "submitted on 21 October"}\n'
        '{"id": "b", "question": "What is the boiling point of water?", "expect": null}\n'
    )
    result = run_cli("eval", str(questions), "--json", knowledge=knowledge, index=index)
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)["sets"]["q.jsonl"]
    assert metrics["recall@1"] == 1.0
    assert metrics["abstention_accuracy"] == 1.0
    assert {"recall@3", "mrr", "questions"} <= set(metrics)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    assert "bad.jsonl:1" in _one_line_error(
        run_cli("eval", str(bad), knowledge=knowledge, index=index)
    )


def test_topics_sources_summary_compare(run_cli, built):
    knowledge, index = built
    topics = run_cli("topics", "--json", knowledge=knowledge, index=index)
    assert {t["id"] for t in json.loads(topics.stdout)} >= {"engagement", "local-government"}
    sources = json.loads(run_cli("sources", "--json", knowledge=knowledge, index=index).stdout)
    assert len(sources) == 5 and all(s["passages"] > 0 for s in sources)
    summary = run_cli("summary", "voluntary sector", knowledge=knowledge, index=index)
    assert summary.returncode == 0
    assert "Summary: Voluntary sector" in summary.stdout
    compare = json.loads(
        run_cli("compare", "finance", "--json", knowledge=knowledge, index=index).stdout
    )
    orgs = [row["organisation"] for row in compare["organisations"]]
    assert len(orgs) == len(set(orgs)) >= 2


def test_ask_json_stdin_answers_past_a_line_that_is_not_utf8_or_too_long(run_cli, built):
    knowledge, index = built
    lines = [
        b"When were STPs submitted?",
        b"Caf\xe9 culture in the NHS?",  # latin-1, not UTF-8
        b"x" * 100_000,
        b"Who is Rhion Jones?",
    ]
    result = run_cli(
        "ask", "--json", "-", knowledge=knowledge, index=index, stdin=b"\n".join(lines) + b"\n"
    )
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["answered"] for o in objects] == [True, False, False, True]
    assert objects[1] == {
        "question": None,
        "answered": False,
        "passages": [],
        "error": "line 2 is not UTF-8 text",
    }
    assert "limit is 2,000" in objects[2]["error"] and len(objects[2]["question"]) == 200
    assert objects[3]["question"] == "Who is Rhion Jones?"
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Error: 2 question(s) could not be answered (each said why above)"
    )


def test_a_question_argument_that_is_not_utf8_is_one_line_and_exit_2(built):
    import subprocess

    from tests.support import cli_environment, stpbot_executable

    knowledge, index = built
    env = cli_environment(STPBOT_KNOWLEDGE_DIR=str(knowledge), STPBOT_INDEX_DIR=str(index))
    result = subprocess.run(
        [stpbot_executable().encode(), b"ask", b"Caf\xe9 culture?"],
        capture_output=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.decode() == "Error: the question is not UTF-8 text\n"


def test_file_names_and_titles_print_as_written_never_as_markup_or_terminal_codes(
    run_cli, tmp_path
):
    import shutil

    from tests.support import KNOWLEDGE

    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    (knowledge / "Photos [").mkdir()
    (knowledge / "Photos [" / "i] x.jpg").write_bytes(b"not a report")
    odd = knowledge / "odd\x1b[31mred.md"
    odd.write_text(
        '---\ntitle: "Odd [/b] title"\n---\nThe board met to discuss the plan in spring.\n',
        encoding="utf-8",
    )
    built = run_cli("index", knowledge=knowledge, index=tmp_path / "index")
    assert built.returncode == 2  # the photo is skipped; everything else is live
    assert "skipped Photos [/i] x.jpg: unsupported file type .jpg" in built.stderr
    listed = run_cli("sources", knowledge=knowledge, index=tmp_path / "index")
    assert listed.returncode == 0, listed.stderr
    assert "Odd [/b]" in listed.stdout
    assert "\x1b" not in listed.stdout and "odd\\x1b[31m" in listed.stdout
