from dentalbridge.gdpr import consent


def cookie_consent(request):
    """Whether to ask for cookie consent, and which consented scripts this page may load.
    Nothing to ask (no script configured) costs nothing."""
    scripts = consent.configured_scripts()
    if not scripts:
        return {"consent_banner": False, "consent_scripts": []}
    chosen = consent.read_cookie(request)
    if chosen is None:
        return {
            "consent_banner": True,
            "consent_banner_text": consent.BANNER_TEXT,
            "consent_category_texts": [consent.CATEGORY_TEXT[c] for c in scripts],
            "consent_scripts": [],
        }
    return {
        "consent_banner": False,
        "consent_scripts": [url for category, url in scripts.items() if chosen["c"].get(category)],
    }
