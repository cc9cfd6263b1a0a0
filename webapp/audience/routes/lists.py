"""Target lists: the index, a list's members, adding contacts by search or by filter; a segment's page and filter."""
from functools import partial

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp.audience import bp, filters, segments
from webapp.audience import lists as service
from webapp.audience.list_forms import ListForm, NewListForm
from webapp.audience.models import CONTACT_STATUSES, TargetList
from webapp.common.params import database_id, page_number
from webapp.common.pages import render, wants_fragment
from webapp.extensions import db


def _target_list(list_id):
    return db.session.get(TargetList, list_id) or abort(404)


def _static_list(list_id):
    """The list, for the pages that change members by hand; a segment has none to change (409, saying why)."""
    target_list = _target_list(list_id)
    if target_list.is_segment:
        abort(409, f"“{target_list.name}” is a segment: its members are the contacts matching its filter right now, "
                   "so nobody is added or removed by hand. Change its filter instead.")
    return target_list


def _segment(list_id):
    target_list = _target_list(list_id)
    if not target_list.is_segment:
        abort(404)
    return target_list


def _plural(count, word):
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _contact_ids():
    return [contact_id for contact_id in map(database_id, request.form.getlist("contact_ids")) if contact_id is not None]


@bp.get("/lists")
def lists():
    return render("audience/lists.html", "audience/_lists.html", rows=service.lists_overview(), form=NewListForm())


@bp.post("/lists")
def create_list():
    form = NewListForm()
    if not form.validate():
        return render("audience/lists.html", "audience/_list_form.html", status=422, rows=service.lists_overview(), form=form)
    if form.kind.data == "segment":
        segment = segments.create_segment(form.name.data, form.description.data, filters.ContactFilter(), current_user.id)
        flash(f"Segment “{segment.name}” created. Give it a filter: until then it matches every contact.", "success")
        return redirect(url_for("audience.segment_filter", list_id=segment.id), 303)
    target_list = service.create_list(form.name.data, form.description.data, created_by_id=current_user.id)
    flash(f"List “{target_list.name}” created. Now add contacts to it.", "success")
    return redirect(url_for("audience.list_detail", list_id=target_list.id), 303)


def _members_args():
    args = request.values
    return dict(
        query=args.get("q", ""),
        state=args.get("state") if args.get("state") in service.MEMBER_STATES else "all",
        sort=args.get("sort") if args.get("sort") in service.MEMBER_SORTS else "email",
        direction="desc" if args.get("dir") == "desc" else "asc",
        page=args.get("page", 1, type=page_number),
    )


def _detail_context(target_list, **extra):
    """Everything the list page shows; fragments of it render from the same context."""
    members_args = _members_args()
    rows, total = service.members_page(target_list.id, **members_args)
    find, find_status = request.values.get("find", ""), request.values.get("find_status") or None
    found, found_total = service.candidates(target_list.id, find, find_status)
    context = dict(
        target_list=target_list, counts=service.list_counts(target_list.id),
        members=rows, members_total=total, members_args=members_args, page_size=service.PAGE_SIZE,
        find=find, find_status=find_status, found=found, found_total=found_total, statuses=CONTACT_STATUSES,
        edit_form=ListForm(obj=target_list, list_id=target_list.id), counts_out_of_band=wants_fragment(),
    )
    context.update(extra)
    return context


def _segment_context(segment, **extra):
    """A segment's page: its filter in words, and its members now (or why the filter cannot be used)."""
    query, page = request.args.get("q", ""), request.args.get("page", 1, type=page_number)
    count, problem = segments.live_count(segment)
    members, total = segments.members_page(segment, query, page) if problem is None else ([], 0)
    context = dict(
        target_list=segment, description=segments.contact_filter(segment).describe(), count=count, problem=problem,
        members=members, members_total=total, query=query, page_number=page, page_size=segments.PAGE_SIZE,
        edit_form=ListForm(obj=segment, list_id=segment.id),
    )
    context.update(extra)
    return context


@bp.get("/lists/<int:list_id>")
def list_detail(list_id):
    target_list = _target_list(list_id)
    if target_list.is_segment:
        return render("audience/segment_detail.html", "audience/_segment_members.html", **_segment_context(target_list))
    return render("audience/list_detail.html", "audience/_list_members.html", **_detail_context(target_list))


@bp.post("/lists/<int:list_id>/edit")
def edit_list(list_id):
    target_list = _target_list(list_id)
    form = ListForm(list_id=list_id)
    if not form.validate():
        page, context = ("audience/segment_detail.html", _segment_context) if target_list.is_segment else \
            ("audience/list_detail.html", _detail_context)
        return render(page, "audience/_list_edit.html", status=422, **context(target_list, edit_form=form, editing=True))
    service.update_list(target_list, form.name.data, form.description.data)
    flash("List saved.", "success")
    return redirect(url_for("audience.list_detail", list_id=list_id), 303)


@bp.delete("/lists/<int:list_id>")
def delete_list(list_id):
    target_list = _target_list(list_id)
    service.delete_list(target_list.id)
    return redirect(url_for("audience.lists"), 303)


def _change_members(list_id, change, describe):
    """Apply `change(list_id, contact_ids)` to the ticked members; answer with the members table (htmx) or the page."""
    target_list = _static_list(list_id)
    contact_ids = _contact_ids()
    message = describe(change(target_list.id, contact_ids)) if contact_ids else "Tick one or more members first."
    if not wants_fragment():
        flash(message, "success" if contact_ids else "info")
        return redirect(url_for("audience.list_detail", list_id=target_list.id, **request.args), 303)
    return render("audience/list_detail.html", "audience/_list_members.html", **_detail_context(target_list, message=message))


@bp.post("/lists/<int:list_id>/members/remove")
def remove_members(list_id):
    return _change_members(list_id, service.remove_members, lambda n: f"Removed {_plural(n, 'member')} from the list.")


@bp.post("/lists/<int:list_id>/members/opt-out")
def opt_out_members(list_id):
    return _change_members(list_id, partial(service.set_opted_out, opted_out=True), lambda n: f"Opted {_plural(n, 'member')} out of this list.")


@bp.post("/lists/<int:list_id>/members/opt-in")
def opt_in_members(list_id):
    return _change_members(list_id, partial(service.set_opted_out, opted_out=False), lambda n: f"Opted {_plural(n, 'member')} back in to this list.")


@bp.get("/lists/<int:list_id>/candidates")
def list_candidates(list_id):
    target_list = _static_list(list_id)
    return render("audience/list_detail.html", "audience/_list_candidates.html", **_detail_context(target_list))


def _added_message(result):
    return f"Added {_plural(result.added, 'contact')}; {result.already:,} {'was' if result.already == 1 else 'were'} already on the list."


def _added(target_list, result):
    message = _added_message(result)
    if not wants_fragment():
        flash(message, "success")
        return redirect(url_for("audience.list_detail", list_id=target_list.id), 303)
    response = render("audience/list_detail.html", "audience/_list_candidates.html", **_detail_context(target_list, added_message=message))
    response.headers["HX-Trigger"] = "members-changed"  # the members table reloads itself
    return response


@bp.post("/lists/<int:list_id>/members")
def add_members(list_id):
    target_list = _static_list(list_id)
    return _added(target_list, service.add_contacts(target_list.id, _contact_ids()))


@bp.post("/lists/<int:list_id>/members/search")
def add_search_results(list_id):
    target_list = _static_list(list_id)
    result = service.add_search_results(target_list.id, request.form.get("find", ""), request.form.get("find_status") or None)
    return _added(target_list, result)


# The builder serves two pages: populating a static list (a one-time copy) and a segment's filter (saved, live).
BUILDERS = {
    False: dict(page="audience.populate_list", preview="audience.populate_preview", template="audience/list_populate.html"),
    True: dict(page="audience.segment_filter", preview="audience.segment_filter_preview", template="audience/segment_filter.html"),
}


def _filter_context(target_list, values, rebuild=False, submitted=False):
    """The builder's rows from the submitted values, and what they match. A fresh page starts with one row,
    or a segment's saved conditions.

    A rebuild (after a field changed, or a row was added or removed) swaps an operator that no
    longer fits the field for one that does; a preview or a submission is judged as sent.
    Rows show their own errors only after a submission: while building, the live preview lists them.
    """
    builder = BUILDERS[target_list.is_segment]
    if target_list.is_segment and not values:
        values = {"saved": "1"}  # judged and counted at once, like a preview
        conditions = list(segments.contact_filter(target_list).conditions)
    else:
        conditions = filters.conditions_from_form(values) if values else [filters.blank_condition()]
    if "add" in values:
        conditions.append(filters.blank_condition())
    remove = database_id(values.get("remove", ""))
    if remove is not None and remove < len(conditions):
        conditions.pop(remove)
    if rebuild:
        conditions = filters.with_fitting_operators(conditions)
    problems = filters.problems(conditions) if values else {}
    count, sample = filters.preview(conditions) if values and not problems else (None, [])
    return dict(
        target_list=target_list, conditions=conditions, problems=problems, count=count, sample=sample,
        row_problems=problems if submitted else {},
        fields=filters.FIELDS, operators=filters.OPERATORS, operators_for=filters.operators_for,
        valueless=filters.VALUELESS, statuses=CONTACT_STATUSES,
        all_lists=db.session.scalars(select(TargetList).where(TargetList.kind == "static").order_by(TargetList.name)).all(),
        builder_url=url_for(builder["page"], list_id=target_list.id), preview_url=url_for(builder["preview"], list_id=target_list.id),
    )


def _filter_response(target_list, fragment, rebuild):
    context = _filter_context(target_list, request.args, rebuild)
    status = 422 if context["problems"] and not rebuild and request.args else 200
    builder = BUILDERS[target_list.is_segment]
    response = render(builder["template"], fragment, status=status, **context)
    # The address bar keeps the conditions (not the add/remove clicks), so reload and sharing show the same filter.
    conditions = context["conditions"]
    response.headers["HX-Replace-Url"] = url_for(
        builder["page"], list_id=target_list.id,
        **{name: [c[name] for c in conditions] for name in ("field", "op", "value", "key")},
    )
    return response


@bp.get("/lists/<int:list_id>/populate")
def populate_list(list_id):
    return _filter_response(_static_list(list_id), "audience/_list_filter.html", rebuild=True)


@bp.get("/lists/<int:list_id>/populate/preview")
def populate_preview(list_id):
    return _filter_response(_static_list(list_id), "audience/_list_filter_preview.html", rebuild=False)


@bp.post("/lists/<int:list_id>/populate")
def populate_from_filter(list_id):
    target_list = _static_list(list_id)
    conditions = filters.conditions_from_form(request.form)
    try:
        clause = filters.filter_clause(conditions)
    except filters.FilterError:
        context = _filter_context(target_list, request.form, submitted=True)
        return render("audience/list_populate.html", "audience/_list_filter.html", status=422, **context)
    result = service.add_matching(target_list.id, clause)
    flash(_added_message(result), "success")
    return redirect(url_for("audience.list_detail", list_id=target_list.id), 303)


@bp.get("/lists/<int:list_id>/filter")
def segment_filter(list_id):
    return _filter_response(_segment(list_id), "audience/_list_filter.html", rebuild=True)


@bp.get("/lists/<int:list_id>/filter/preview")
def segment_filter_preview(list_id):
    return _filter_response(_segment(list_id), "audience/_list_filter_preview.html", rebuild=False)


@bp.post("/lists/<int:list_id>/filter")
def save_segment_filter(list_id):
    segment = _segment(list_id)
    contact_filter = filters.ContactFilter.from_form(request.form)
    if contact_filter.problems():
        context = _filter_context(segment, request.form, submitted=True)
        return render("audience/segment_filter.html", "audience/_list_filter.html", status=422, **context)
    segments.update_filter(segment, contact_filter)
    flash("Filter saved: the segment's members are whoever matches it from now on.", "success")
    return redirect(url_for("audience.list_detail", list_id=segment.id), 303)
