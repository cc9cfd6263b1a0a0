"""The foundation every feature may use, and which imports no feature: the clock, email
addresses, the page-or-fragment helper, shared form fields, access decorators, Redis and RQ,
Jinja filters, and the vocabularies of states and reasons with their labels."""


def init_app(app):
    from webapp.common import filters, headers, params

    filters.init_app(app)
    headers.init_app(app)
    app.before_request(params.refuse_nul_characters)
