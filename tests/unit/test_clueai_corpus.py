"""JSON Lines files for the search corpus and fine-tuning: encoding and checks before upload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnllm import errors
from cnllm.clueai import corpus

# A line of the clue-ai examples' law_test.json (reference §5), with its \r\n inside the title.
LAW_LINE = '{"id": 0, "title": "完善法律制定规则 严格监管槟榔产业\\r\\n"}'


def test_texts_become_one_object_per_line_in_utf8() -> None:
    content = corpus.corpus_jsonl(["故宫\n紫禁城", 'A "quoted" & #1'], field="title")
    lines = content.decode("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"id": 0, "title": "故宫\n紫禁城"},
        {"id": 1, "title": 'A "quoted" & #1'},
    ]
    assert "故宫" in lines[0]  # raw UTF-8, not \u escapes


def test_empty_texts_are_refused_naming_the_index() -> None:
    with pytest.raises(errors.ValidationError, match=r"texts\[1\]"):
        corpus.corpus_jsonl(["a", " "])
    with pytest.raises(errors.ValidationError, match="texts"):
        corpus.corpus_jsonl([])


def test_a_corpus_file_is_checked_and_uploaded_unchanged() -> None:
    content = (LAW_LINE + "\n\n" + '{"id": 1, "title": "第二条"}\n').encode()
    upload, texts = corpus.check_corpus(content, "title")
    assert upload == content
    assert texts == ["完善法律制定规则 严格监管槟榔产业\r\n", "第二条"]


def test_a_json_array_file_is_sent_as_json_lines() -> None:
    content = json.dumps([{"title": "一"}, {"title": "二"}], ensure_ascii=False).encode()
    upload, texts = corpus.check_corpus(content, "title")
    assert upload.decode().splitlines() == ['{"title": "一"}', '{"title": "二"}']
    assert texts == ["一", "二"]


@pytest.mark.parametrize(
    ("content", "where", "problem"),
    [
        (b'{"title": "a"}\n{"name": "b"}\n', "record 2", "no non-empty string 'title'"),
        (b'{"title": "a"}\nnot json\n', "line 2", "is not JSON"),
        (b'["a"]', "corpus", "must hold JSON objects"),
        (b"\n\n", "corpus", "holds no records"),
        (b"\xff\xfe", "corpus", "not UTF-8"),
    ],
)
def test_bad_corpus_files_name_the_line(content: bytes, where: str, problem: str) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        corpus.check_corpus(content, "title")
    assert where in caught.value.parameter and problem in caught.value.message


def test_finetune_pairs_and_dicts() -> None:
    content = corpus.finetune_jsonl([("问", "答"), {"input": "i", "target": "t", "type": "qa"}])
    assert [json.loads(line) for line in content.decode().splitlines()] == [
        {"input": "问", "target": "答"},
        {"input": "i", "target": "t", "type": "qa"},
    ]
    with pytest.raises(errors.ValidationError, match="'target'"):
        corpus.finetune_jsonl([{"input": "i", "output": "o"}])
    chatyuan = corpus.finetune_jsonl([("q", "a")], "question", "answer")
    assert json.loads(chatyuan) == {"question": "q", "answer": "a"}


def test_more_than_ten_thousand_samples_warns_that_they_will_be_sampled() -> None:
    pairs = [(f"q{i}", f"a{i}") for i in range(10_001)]
    with pytest.warns(UserWarning, match="samples them down to 10000"):
        corpus.finetune_jsonl(pairs)


def test_read_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "law_test.json"
    path.write_text(LAW_LINE + "\n", encoding="utf-8")
    assert corpus.read(path) == ((LAW_LINE + "\n").encode(), "law_test.json")
    with pytest.raises(errors.ValidationError, match="cannot read"):
        corpus.read(tmp_path / "missing.json")
