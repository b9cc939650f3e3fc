//! Human references: one counter row per record kind, incremented inside the creating
//! transaction so a rolled-back creation does not burn a number on PostgreSQL either.

use crate::{Conn, Sql, StoreError};
use trellis_domain::record::RecordKind;

pub async fn next_reference(c: &mut Conn<'_>, kind: RecordKind) -> Result<String, StoreError> {
    let (n,): (i64,) = c
        .one(
            Sql::new(
                "INSERT INTO ref_counters (kind, last_value) VALUES ($1, 1) \
                 ON CONFLICT (kind) DO UPDATE SET last_value = ref_counters.last_value + 1 \
                 RETURNING last_value",
            )
            .bind(kind.as_str()),
        )
        .await?;
    Ok(kind.reference(n))
}
