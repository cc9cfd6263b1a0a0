"""CSV import pages: upload and past imports, the column mapping, live progress, the result and its error file."""
from flask import abort, current_app, redirect, render_template, send_file, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.audience import bp, importer
from webapp.audience.csvfiles import UnreadableFile
from webapp.audience.import_forms import ColumnMappingForm, UploadForm
from webapp.audience.models import ContactImport
from webapp.common.pages import STOP_POLLING, render, wants_fragment
from webapp.extensions import db


@bp.get("/imports")
def imports():
    return _index(UploadForm())


def _index(form, status=200):
    return render_template("audience/imports.html", form=form, imports=importer.recent_imports()), status


@bp.post("/imports")
def imports_upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return _index(form, 422)
    upload = form.file.data
    try:
        contact_import = importer.save_upload(upload.stream, upload.filename or "", current_app.config["UPLOAD_DIR"], current_user.id)
    except UnreadableFile as error:
        form.file.errors.append(str(error))
        return _index(form, 422)
    return redirect(url_for("audience.imports_detail", import_id=contact_import.id), 303)


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error):
    db.session.rollback()
    limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    message = (f"The file is larger than the {limit} MB upload limit. Split it into smaller files "
               "(for example with your spreadsheet's filter and “Save as CSV”) and import them one after another.")
    return render_template("errors/error.html", status=413, title="File too large", message=message), 413


def _mapping_form(contact_import, **kwargs):
    return ColumnMappingForm(contact_import.mapping["headers"], importer.list_choices(), **kwargs)


def _show(contact_import, form=None, status=200):
    if contact_import.state == "uploaded":
        form = form or _mapping_form(contact_import, data={"columns": contact_import.mapping["columns"]})
        return render("audience/imports_show.html", "audience/_import_mapping.html", status, contact_import=contact_import,
                      csv_format=importer.csv_format_of(contact_import), form=form, preview=importer.preview_rows(contact_import))
    finished = contact_import.state in importer.FINISHED_STATES
    status = STOP_POLLING if finished and wants_fragment() else status
    return render("audience/imports_show.html", "audience/_import_status.html", status, contact_import=contact_import,
                  csv_format=importer.csv_format_of(contact_import), rejected=importer.rejected_rows(contact_import) if finished else [])


@bp.get("/imports/<int:import_id>")
def imports_detail(import_id):
    return _show(db.get_or_404(ContactImport, import_id))


@bp.post("/imports/<int:import_id>")
def imports_start(import_id):
    contact_import = db.get_or_404(ContactImport, import_id)
    if contact_import.state != "uploaded":
        return redirect(url_for("audience.imports_detail", import_id=import_id), 303)
    form = _mapping_form(contact_import)
    if not form.validate_on_submit():
        return _show(contact_import, form, 422)
    importer.start_import(contact_import, [entry.data for entry in form.columns], target_list_id=form.target_list.data,
                          new_list_name=form.new_list_name.data, user_id=current_user.id)
    if wants_fragment():
        return _show(contact_import)
    return redirect(url_for("audience.imports_detail", import_id=import_id), 303)


@bp.get("/imports/<int:import_id>/errors.csv")
def imports_errors(import_id):
    contact_import = db.get_or_404(ContactImport, import_id)
    path = importer.error_file(contact_import)
    if path is None:
        abort(404, "This import has no rejected rows to download.")
    name = contact_import.filename.rsplit(".", 1)[0] + "-rejected.csv"
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name=name)
