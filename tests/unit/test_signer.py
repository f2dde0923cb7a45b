"""bce-auth-v1 against the test vectors of the protocol reference §3.3."""

from datetime import datetime, timezone

from cnllm.qianfan import signer

AK, SK = "a" * 32, "b" * 32
BOS_HEADERS = {
    "Host": "bj.bcebos.com",
    "Content-Type": "text/plain",
    "Content-Length": "8",
    "Content-Md5": "NFzcPqhviddjRNnSOGo4rw==",
    "x-bce-date": "2015-04-27T08:23:49Z",
    "Date": "Mon, 27 Apr 2015 16:23:49 +0800",
}
BOS_QUERY = {"partNumber": "9", "uploadId": "a44cc9bab11cbd156984767aad637851"}
PATH = "/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/qianfan_chinese_llama_2_13b"


def test_vector_a_baidu_default_header_set() -> None:
    auth = signer.sign(
        access_key=AK,
        secret_key=SK,
        method="PUT",
        path="/v1/test/myfolder/readme.txt",
        headers=BOS_HEADERS,
        query=BOS_QUERY,
        timestamp="2015-04-27T08:23:49Z",
        expiration_seconds=1800,
        list_signed_headers=False,
    )
    assert auth == (
        "bce-auth-v1/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/2015-04-27T08:23:49Z/1800//"
        "d74a04362e6a848f5b39b15421cb449427f419c95a480fd6b8cf9fc783e2999e"
    )


def test_vector_a_host_and_date_signed() -> None:
    auth = signer.sign(
        access_key=AK,
        secret_key=SK,
        method="PUT",
        path="/v1/test/myfolder/readme.txt",
        headers=BOS_HEADERS,
        query=BOS_QUERY,
        timestamp="2015-04-27T08:23:49Z",
        expiration_seconds=1800,
        signed_headers=["host", "x-bce-date"],
    )
    assert auth.endswith(
        "/1800/host;x-bce-date/1b8de5a23a56eef657c69f94c621e7acd227d049a4ba577f537d5e5cebf0cf32"
    )


def test_vector_b1_qianfan_chat_call() -> None:
    moment = datetime.fromtimestamp(1719043200, tz=timezone.utc)
    headers = signer.iam_headers(
        access_key=AK,
        secret_key=SK,
        method="POST",
        url_host="aip.baidubce.com",
        path=PATH,
        now=moment,
    )
    assert headers["x-bce-date"] == "2024-06-22T08:00:00Z"
    assert headers["Authorization"] == (
        "bce-auth-v1/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/2024-06-22T08:00:00Z/300/"
        "content-type;host;x-bce-date/c856bcee7c509a650c9937a9004187f91a78f340e4564bf9c074a4310487ce26"
    )


def test_vector_b2_sdk_style_request_id_header() -> None:
    headers = {
        "Content-Type": "application/json",
        "Host": "aip.baidubce.com",
        "x-bce-date": "2024-06-22T08:00:00Z",
        "Request_id": "sdk-py-0.4.12.3-abcdefghijklmnop",
    }
    auth = signer.sign(
        access_key=AK,
        secret_key=SK,
        method="POST",
        path=PATH,
        headers=headers,
        timestamp="2024-06-22T08:00:00Z",
        signed_headers=["content-type", "host", "request_id", "x-bce-date"],
    )
    assert auth.endswith(
        "/content-type;host;request_id;x-bce-date/"
        "9e9c9df4e5312180bbe5b5f45b40d9b8d8fb2a38bc2189af3c49c1e8bb4ed1ef"
    )


def test_parse_authorization() -> None:
    parts = signer.parse_authorization(
        "bce-auth-v1/ak/2024-06-22T08:00:00Z/300/host;x-bce-date/" + "0" * 64
    )
    assert parts is not None and parts["signed_headers"] == "host;x-bce-date"
    assert signer.parse_authorization("Bearer x") is None
