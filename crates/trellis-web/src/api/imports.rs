//! `/api/v1/imports/{kind}`: CSV import of services, customers, suppliers and CIs.
#![allow(unused_qualifications, reason = "utoipa qualifies query structs declared in the same module")]

use super::ApiQuery;
use crate::extract::ApiActor;
use crate::problem::{ApiResult, FieldProblem, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use trellis_app::import::{self as app, ImportReport, Progress};
use trellis_domain::import::ImportKind;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Only check the file; nothing is stored.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RowProblemDto {
    /// The line in the file; the header is line 1.
    pub line: u64,
    pub column: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"kind": "cis", "dry_run": true, "rows": 2, "imported": [], "problems": []}))]
pub struct ImportReportDto {
    /// services, customers, suppliers or cis.
    pub kind: &'static str,
    pub dry_run: bool,
    /// Data rows in the file.
    pub rows: usize,
    /// What was made (references; customer names). Empty for a dry run.
    pub imported: Vec<String>,
    /// Every bad row (a dry run lists them; an import with any fails with 422 and these).
    pub problems: Vec<RowProblemDto>,
}

pub fn report_dto(r: ImportReport) -> ImportReportDto {
    ImportReportDto {
        kind: r.kind.as_str(),
        dry_run: r.dry_run,
        rows: r.rows,
        imported: r.imported,
        problems: r
            .problems
            .into_iter()
            .map(|p| RowProblemDto { line: p.line, column: p.column, message: p.message })
            .collect(),
    }
}

/// Import records from CSV
///
/// The body is the CSV text with a header row. Columns: services `name, description,
/// criticality, owner, customers` (names separated by `;`); customers `name, notes`; suppliers
/// `name, supplier_type, description, contact, owner`; cis `name, type, description,
/// criticality, owner, team, customer, location, cost, warranty_expires, licence_expires,
/// licence_seats` plus a column per attribute of the CI type. People are named by e-mail.
/// With `dry_run=true` the file is only checked (200 with every problem). Otherwise a file with
/// any bad row imports nothing (422 `import.rows_invalid`, `errors` naming `line N: column`);
/// a clean file is imported whole (201).
#[utoipa::path(operation_id = "import_csv", post, path = "/api/v1/imports/{kind}", tag = "import", params(
        ("kind" = String, Path, description = "services, customers, suppliers or cis"), ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReportDto), (status = 201, body = ImportReportDto), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn import(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(kind): Path<String>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    bytes: axum::body::Bytes,
) -> ApiResult<Response> {
    let kind = ImportKind::parse(&kind).ok_or(trellis_app::AppError::NotFound)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        let mut p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation.failed",
            "the file is not UTF-8 text".to_owned(),
        );
        p.errors =
            vec![FieldProblem { field: "line 1: ".into(), message: "save the file as UTF-8 CSV".into() }];
        crate::problem::ApiError::from(p)
    })?;
    let report = app::run(&s.app, &actor, kind, text, q.dry_run, &Progress::default()).await?;
    if q.dry_run {
        return Ok(axum::Json(report_dto(report)).into_response());
    }
    if !report.problems.is_empty() {
        let n = report.problems.len();
        let mut p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "import.rows_invalid",
            format!("{n} problem(s) in the file; nothing was imported"),
        );
        p.errors = report
            .problems
            .into_iter()
            .map(|r| FieldProblem { field: format!("line {}: {}", r.line, r.column), message: r.message })
            .collect();
        return Err(p.into());
    }
    Ok((StatusCode::CREATED, axum::Json(report_dto(report))).into_response())
}
