//! Suppliers (ISO/IEC 20000-1 8.3.4): external organisations and internal groups that deliver
//! parts of services. Their contracts are agreements of type `contract`; their performance is
//! reviewed with reviews that carry a rating.

use crate::lifecycle::Lifecycle;
use crate::record::RecordKind;

pub const NAME_MAX: usize = 200;
pub const TEXT_MAX: usize = 20_000;

crate::named_enum! {
    pub enum SupplierType {
        External = ("external", "External supplier"),
        Internal = ("internal", "Internal supplier"),
    }
}

crate::named_enum! {
    pub enum SupplierStatus {
        Proposed = ("proposed", "Proposed"),
        Active = ("active", "Active"),
        Inactive = ("inactive", "Inactive"),
    }
}

impl Lifecycle for SupplierStatus {
    const KIND: RecordKind = RecordKind::Supplier;

    /// A supplier we stopped using may be taken on again.
    fn allowed_transitions(self) -> &'static [SupplierStatus] {
        use SupplierStatus::*;
        match self {
            Proposed => &[Active, Inactive],
            Active => &[Inactive],
            Inactive => &[Active],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_is_well_formed() {
        crate::lifecycle::testing::assert_well_formed(SupplierStatus::ALL, SupplierStatus::Proposed, &[]);
    }
}
