//! A key page's rotation progress, while a rolled secret still works: the
//! requests on the old secret against the new one, hour by hour, and the
//! addresses still using the old one (what has yet to move).
use leptos::prelude::*;

use super::when;
use crate::i18n::{t, use_i18n};
use crate::model::rotation::Rotation;

#[component]
pub fn RotationSection(rotation: Rotation) -> impl IntoView {
    let i18n = use_i18n();
    let Rotation {
        old_start,
        new_start,
        rolled_at,
        works_until,
        retire_when_unused,
        old_last_used_at,
        hours,
        addresses,
    } = rotation;
    let until = when(&works_until);
    let retiring = if retire_when_unused {
        t!(i18n, rotation_retire_unused, date = until).into_any()
    } else {
        t!(i18n, rotation_works_until, date = until).into_any()
    };
    let last = match old_last_used_at {
        Some(at) => t!(i18n, rotation_last_used, date = when(&at)).into_any(),
        None => t!(i18n, rotation_not_used).into_any(),
    };
    let addresses = if addresses.is_empty() {
        view! { <p>{t!(i18n, rotation_no_addresses)}</p> }.into_any()
    } else {
        view! {
            <table class="data-table" aria-labelledby="rotation-addresses-title">
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, rotation_address)}</th>
                        <th scope="col">{t!(i18n, rotation_requests)}</th>
                        <th scope="col">{t!(i18n, rotation_last_seen)}</th>
                    </tr>
                </thead>
                <tbody>
                    {addresses.into_iter().map(|a| view! {
                        <tr>
                            <th scope="row"><code>{a.ip}</code></th>
                            <td>{a.requests}</td>
                            <td>{when(&a.last_used_at)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <section class="card" aria-labelledby="rotation-title">
            <h2 id="rotation-title">{t!(i18n, rotation_title)}</h2>
            <p>{t!(i18n, rotation_intro, date = when(&rolled_at), old = old_start, new = new_start)}</p>
            <p>{retiring} " " {last}</p>
            <table class="data-table" aria-labelledby="rotation-title">
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, rotation_hour)}</th>
                        <th scope="col">{t!(i18n, rotation_old)}</th>
                        <th scope="col">{t!(i18n, rotation_new)}</th>
                    </tr>
                </thead>
                <tbody>
                    {hours.into_iter().map(|h| view! {
                        <tr>
                            <th scope="row">{when(&h.hour)}</th>
                            <td>{h.old}</td>
                            <td>{h.new}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h3 id="rotation-addresses-title">{t!(i18n, rotation_addresses)}</h3>
            {addresses}
        </section>
    }
}
