//! The route registry. Every route is mounted through [`Routes`], which records its method,
//! path and [`Access`] and puts the matching guard in front of the handler, so the list the
//! access-control test walks is the router itself.

use axum::Router;
use axum::extract::Request;
use axum::handler::Handler;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};

use super::AppState;
use super::error::AppError;
use super::extract::CurrentUser;
use super::urls;
use crate::domain::Role;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in account, even one that must still change its password.
    Account,
    /// Signed-in accounts of these roles whose password is not awaiting a change.
    Roles(&'static [Role]),
}

impl Access {
    /// Whether a principal (`None` = anonymous) may call the route.
    pub fn allows(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Access::Public, _) => true,
            (_, None) => false,
            (Access::Account, Some(_)) => true,
            (Access::Roles(roles), Some(r)) => roles.contains(&r),
        }
    }
}

pub const ADMIN: &[Role] = &[Role::Admin];
pub const AUDITORS: &[Role] = &[Role::Admin, Role::Supervision];
pub const SUPERVISION: &[Role] = &[Role::Supervision];
pub const WINDOW_HEAD: &[Role] = &[Role::WindowHead];
pub const LEADERSHIP: &[Role] = &[Role::Leadership];
pub const STAFF: &[Role] = &[Role::Staff];

/// One mounted route.
#[derive(Clone, Debug)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    list: Vec<RouteInfo>,
}

impl Routes {
    pub fn get<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("GET", path, access, get(handler))
    }

    pub fn post<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("POST", path, access, post(handler))
    }

    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        access: Access,
        route: MethodRouter<AppState>,
    ) -> Self {
        let route = route.route_layer(middleware::from_fn(move |req: Request, next: Next| {
            guard(access, req, next)
        }));
        self.router = self.router.route(path, route);
        self.list.push(RouteInfo {
            method,
            path,
            access,
        });
        self
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }

    pub fn list(&self) -> &[RouteInfo] {
        &self.list
    }
}

/// Every route of the application.
pub fn all() -> Routes {
    let r = Routes::default();
    let r = static_and_health(r);
    let r = super::auth::routes(r);
    let r = super::home::routes(r);
    let r = super::admin::routes(r);
    let r = super::periods::routes(r);
    let r = super::scores::routes(r);
    let r = super::ballot::routes(r);
    let r = super::rating::routes(r);
    let r = super::results::routes(r);
    let r = super::schemes::routes(r);
    let r = super::honor::routes(r);
    let r = super::photos::routes(r);
    let r = super::imports::routes(r);
    let r = super::roster::routes(r);
    super::audit::routes(r)
}

fn static_and_health(r: Routes) -> Routes {
    r.get(urls::HEALTHZ, Access::Public, super::static_files::healthz)
        .get("/static/{file}", Access::Public, super::static_files::serve)
}

/// The list of routes, for the access-control test and the docs.
pub fn list() -> Vec<RouteInfo> {
    all().list
}

async fn guard(access: Access, req: Request, next: Next) -> Response {
    let user = req.extensions().get::<CurrentUser>();
    let role = user.map(|u| u.role);
    if access == Access::Public {
        return next.run(req).await;
    }
    let Some(user) = user else {
        return AppError::Unauthenticated {
            next: next_path(&req),
        }
        .into_response();
    };
    if let Access::Roles(_) = access
        && user.must_change_password
    {
        return Redirect::to(urls::CHANGE_PASSWORD).into_response();
    }
    if access.allows(role) {
        next.run(req).await
    } else {
        AppError::Forbidden.into_response()
    }
}

/// Where to come back to after signing in: the page asked for, when it was a GET.
fn next_path(req: &Request) -> Option<String> {
    (req.method() == axum::http::Method::GET)
        .then(|| req.uri().path_and_query().map(|p| p.as_str().to_string()))
        .flatten()
}
