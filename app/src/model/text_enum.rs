//! Closed sets of values that travel as text: in JSON, in query strings and,
//! for some, in a database column. [`text_enum!`] gives each variant ONE
//! text, which serde, SeaORM and `as_str` all use, so they cannot disagree
//! and the stored and answered text stays what it always was.
use thiserror::Error;

/// A text that names none of an enum's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("not one of the known values")]
pub struct Unknown;

/// Declares `enum Name { Variant = "text", … }` with `ALL`, `as_str`,
/// `FromStr` and `Display`, (de)serialized as its text. With `stored` in
/// front it is also a SeaORM string-backed active enum (with `ssr`), for a
/// `text`/`varchar` column holding exactly these texts.
macro_rules! text_enum {
    (
        stored
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
        )]
        #[cfg_attr(
            feature = "ssr",
            derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter),
            sea_orm(
                rs_type = "String",
                db_type = "String(sea_orm::sea_query::StringLen::None)"
            )
        )]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $text)]
                #[cfg_attr(feature = "ssr", sea_orm(string_value = $text))]
                $variant,
            )+
        }
        $crate::model::text_enum::text_enum!(@impls $name { $($variant = $text),+ });
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
        )]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $text)]
                $variant,
            )+
        }
        $crate::model::text_enum::text_enum!(@impls $name { $($variant = $text),+ });
    };
    (@impls $name:ident { $($variant:ident = $text:literal),+ }) => {
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text it travels and is stored as.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::model::text_enum::Unknown;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::model::text_enum::Unknown),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;

#[cfg(test)]
mod tests {
    use crate::model::audit::Action;
    use crate::model::error::{Conflict, GrantRefusal};
    use crate::model::invitations::ContactKind;
    use crate::model::keys::{KeyScope, SecretState};
    use crate::model::users::{UserKind, UserStatus};

    /// Every value parses back from its text and serializes as it, so the
    /// texts are unique and serde agrees with `as_str`.
    macro_rules! assert_round_trips {
        ($($name:ty),+ $(,)?) => {$(
            for value in <$name>::ALL.iter().copied() {
                assert_eq!(value.as_str().parse::<$name>(), Ok(value));
                assert_eq!(value.to_string(), value.as_str());
                #[cfg(feature = "ssr")]
                assert_eq!(
                    serde_json::to_string(&value).ok(),
                    Some(format!("\"{}\"", value.as_str()))
                );
            }
            assert_eq!("".parse::<$name>(), Err(super::Unknown));
        )+};
    }

    #[test]
    fn every_text_enum_round_trips_through_its_text() {
        assert_round_trips!(
            Action,
            Conflict,
            GrantRefusal,
            ContactKind,
            KeyScope,
            SecretState,
            UserKind,
            UserStatus,
        );
    }

    /// The database holds exactly the text the wire carries.
    #[cfg(feature = "ssr")]
    #[test]
    fn stored_enums_store_their_text() {
        use sea_orm::ActiveEnum;
        for value in UserStatus::ALL {
            assert_eq!(value.to_value(), value.as_str());
        }
        for value in UserKind::ALL {
            assert_eq!(value.to_value(), value.as_str());
        }
        for value in ContactKind::ALL {
            assert_eq!(value.to_value(), value.as_str());
        }
    }
}
