"""Sign-out: by POST only."""


def test_get_on_sign_out_is_refused(subscriber_client):
    response = subscriber_client.get("/accounts/logout/")

    assert response.status_code == 405
    assert "_auth_user_id" in subscriber_client.session  # still signed in


def test_post_on_sign_out_signs_out(subscriber_client):
    response = subscriber_client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in subscriber_client.session
