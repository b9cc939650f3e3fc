//! What every record lifecycle shares: named states, the moves allowed between them, and the
//! error for a move that is not allowed. Each record kind declares its states with
//! [`named_enum!`](crate::named_enum) and implements [`Lifecycle`] with its transition table.

use crate::record::RecordKind;

/// Declares a closed set of named values (states, criticalities, ...) with their stored name and
/// their label for people, so that every kind parses, lists and shows them the same way.
#[macro_export]
macro_rules! named_enum {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $v:ident = ($s:literal, $label:literal)),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name { $($(#[$vm])* #[serde(rename = $s)] $v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The stored and API name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }

            /// The name people read.
            pub fn label(self) -> &'static str {
                match self { $($name::$v => $label),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|x| x.as_str() == s)
            }

            /// "a, b or c": for validation messages.
            pub fn choices() -> String {
                let names: Vec<&str> = Self::ALL.iter().map(|x| x.as_str()).collect();
                match names.split_last() {
                    Some((last, [])) => (*last).to_owned(),
                    Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                    None => String::new(),
                }
            }
        }

        impl $crate::lifecycle::Named for $name {
            const ALL: &'static [$name] = $name::ALL;
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
            fn label(self) -> &'static str {
                $name::label(self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// What generic code needs of a [`named_enum!`](crate::named_enum).
pub trait Named: Copy + Eq + std::fmt::Display + 'static {
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
    fn label(self) -> &'static str;
}

/// Parses a named value from a request; an unknown name is reported on `field` with the choices.
pub fn parse_named<N: Named>(
    errors: &mut crate::validation::ValidationErrors,
    field: &str,
    value: &str,
) -> Option<N> {
    let found = N::ALL.iter().copied().find(|x| x.as_str() == value.trim());
    if found.is_none() {
        let names: Vec<&str> = N::ALL.iter().map(|x| x.as_str()).collect();
        errors.add(field, format!("must be one of {}", names.join(", ")));
    }
    found
}

/// A record kind's states and the moves between them.
pub trait Lifecycle: Named {
    const KIND: RecordKind;

    /// The states reachable in one move from this one.
    fn allowed_transitions(self) -> &'static [Self];

    fn can_move_to(self, to: Self) -> bool {
        self.allowed_transitions().contains(&to)
    }
}

/// A move the lifecycle does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this {} cannot move from {from} to {to}", kind.label())]
pub struct InvalidTransition {
    pub kind: RecordKind,
    pub from: String,
    pub to: String,
}

pub fn check_transition<L: Lifecycle>(from: L, to: L) -> Result<(), InvalidTransition> {
    if from.can_move_to(to) {
        Ok(())
    } else {
        Err(InvalidTransition { kind: L::KIND, from: from.to_string(), to: to.to_string() })
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Properties every lifecycle must have, checked once per kind.
    use super::Lifecycle;
    use std::collections::HashSet;
    use std::hash::Hash;

    /// Every state is reachable from `initial`, no state moves to itself, and `finals` have no
    /// way out.
    pub fn assert_well_formed<L: Lifecycle + Hash + std::fmt::Debug>(all: &[L], initial: L, finals: &[L]) {
        let mut seen = HashSet::from([initial]);
        let mut frontier = vec![initial];
        while let Some(s) = frontier.pop() {
            for &n in s.allowed_transitions() {
                assert_ne!(s, n, "{s} moves to itself");
                if seen.insert(n) {
                    frontier.push(n);
                }
            }
        }
        assert_eq!(seen.len(), all.len(), "unreachable states from {initial}");
        for f in finals {
            assert!(f.allowed_transitions().is_empty(), "{f} is final but has moves");
        }
    }
}
