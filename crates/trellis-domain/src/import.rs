//! CSV import: which record kinds can be imported and the columns each file has.

crate::named_enum! {
    pub enum ImportKind {
        Services = ("services", "Services"),
        Customers = ("customers", "Customers"),
        Suppliers = ("suppliers", "Suppliers"),
        Cis = ("cis", "Configuration items"),
    }
}

impl ImportKind {
    /// The columns a file of this kind may have, with whether each is required. People are named
    /// by e-mail, customers, teams and CI types by name; `customers` lists names separated by `;`.
    /// A CI file may add one column per attribute of the CI types it names.
    pub fn columns(self) -> &'static [(&'static str, bool)] {
        match self {
            ImportKind::Services => &[
                ("name", true),
                ("description", false),
                ("criticality", true),
                ("owner", false),
                ("customers", false),
            ],
            ImportKind::Customers => &[("name", true), ("notes", false)],
            ImportKind::Suppliers => &[
                ("name", true),
                ("supplier_type", true),
                ("description", false),
                ("contact", false),
                ("owner", false),
            ],
            ImportKind::Cis => &[
                ("name", true),
                ("type", true),
                ("description", false),
                ("criticality", true),
                ("owner", false),
                ("team", false),
                ("customer", false),
                ("location", false),
                ("cost", false),
                ("warranty_expires", false),
                ("licence_expires", false),
                ("licence_seats", false),
            ],
        }
    }

    /// Whether unknown columns are allowed (as CI attributes).
    pub fn open_columns(self) -> bool {
        self == ImportKind::Cis
    }
}

/// The CSV column a use-case field error belongs to (`owner_id` → `owner`, `attributes.os` → `os`).
pub fn column_of(field: &str) -> &str {
    match field {
        "ci_type_id" => "type",
        "customer_ids" => "customers",
        "cost_cents" => "cost",
        f => f.strip_prefix("attributes.").or_else(|| f.strip_suffix("_id")).unwrap_or(f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_map_to_the_columns_people_wrote() {
        assert_eq!(column_of("owner_id"), "owner");
        assert_eq!(column_of("ci_type_id"), "type");
        assert_eq!(column_of("customer_ids"), "customers");
        assert_eq!(column_of("attributes.os"), "os");
        assert_eq!(column_of("criticality"), "criticality");
        for kind in ImportKind::ALL {
            assert!(kind.columns().iter().any(|(c, required)| *c == "name" && *required));
        }
    }
}
