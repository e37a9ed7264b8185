def preferences(request) -> dict:
    """The reader's display preferences, kept in a cookie so they survive signing out."""
    return {"large_text": request.COOKIES.get("mj_text") == "large"}
