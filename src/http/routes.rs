//! The route registry. Every route is mounted through [`Routes`], which records its method,
//! path, [`Access`] and [`Body`] and puts the matching layers in front of the handler, so the
//! list the access-control test walks is the router itself, and no middleware keeps a list
//! of paths of its own.
//!
//! In front of each handler, outermost first: the body limit of its [`Body`], the session
//! (not loaded for [`Routes::public`] pages), the CSRF check of a POST, the access guard.

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
    /// The leadership group's leader (组长) alone, password not awaiting a change.
    GroupLeader,
}

/// Who is asking, as far as access is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Principal {
    pub role: Role,
    pub group_leader: bool,
}

impl Principal {
    pub fn of(user: &CurrentUser) -> Principal {
        Principal {
            role: user.role,
            group_leader: user.role == Role::Leadership && user.is_group_leader,
        }
    }
}

impl Access {
    /// Whether a principal (`None` = anonymous) may call the route.
    pub fn allows(self, who: Option<Principal>) -> bool {
        match (self, who) {
            (Access::Public, _) => true,
            (_, None) => false,
            (Access::Account, Some(_)) => true,
            (Access::Roles(roles), Some(p)) => roles.contains(&p.role),
            (Access::GroupLeader, Some(p)) => p.group_leader,
        }
    }
}

pub const ADMIN: &[Role] = &[Role::Admin];
pub const AUDITORS: &[Role] = &[Role::Admin, Role::Supervision];
pub const SUPERVISION: &[Role] = &[Role::Supervision];
pub const WINDOW_HEAD: &[Role] = &[Role::WindowHead];
pub const LEADERSHIP: &[Role] = &[Role::Leadership];
pub const STAFF: &[Role] = &[Role::Staff];

/// What a route's request body may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// A form or nothing: `Config::body_limit`.
    Form,
    /// A file upload (a photo, a spreadsheet): `Config::upload_limit`.
    Upload,
}

/// One mounted route.
#[derive(Clone, Debug)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub body: Body,
    /// Whether the session is loaded: public pages served to everyone alike (the honor
    /// roll, photos, verification, static files) never look at it.
    pub session: bool,
}

#[derive(Default)]
pub struct Routes {
    routes: Vec<(RouteInfo, MethodRouter<AppState>)>,
}

impl Routes {
    pub fn get<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("GET", path, access, Body::Form, true, get(handler))
    }

    pub fn post<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("POST", path, access, Body::Form, true, post(handler))
    }

    /// A POST that carries a file.
    pub fn upload<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("POST", path, access, Body::Upload, true, post(handler))
    }

    /// A page the same for everyone: open to all, and the session is not loaded.
    pub fn public<H, T>(self, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("GET", path, Access::Public, Body::Form, false, get(handler))
    }

    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        access: Access,
        body: Body,
        session: bool,
        route: MethodRouter<AppState>,
    ) -> Self {
        self.routes.push((
            RouteInfo {
                method,
                path,
                access,
                body,
                session,
            },
            route,
        ));
        self
    }

    /// The router, each route behind the layers its declaration asks for.
    pub fn into_router(self, state: &AppState) -> Router<AppState> {
        let mut router = Router::new();
        for (info, route) in self.routes {
            let access = info.access;
            // The body's limit is the route's own (below), not axum's default of 2 MB for
            // `Bytes` and forms, which would refuse a photo or a file the page allows.
            let mut route = route
                .route_layer(axum::extract::DefaultBodyLimit::disable())
                .route_layer(middleware::from_fn(move |req: Request, next: Next| {
                    guard(access, req, next)
                }));
            if info.method == "POST" {
                route = route.route_layer(middleware::from_fn(super::csrf::guard));
            }
            if info.session {
                route = route.route_layer(middleware::from_fn_with_state(
                    state.clone(),
                    super::extract::load_session,
                ));
            }
            let limit = match info.body {
                Body::Form => state.config.body_limit,
                Body::Upload => state.config.upload_limit,
            };
            route = route.route_layer(middleware::from_fn(move |req: Request, next: Next| {
                super::limit_body(limit, req, next)
            }));
            router = router.route(info.path, route);
        }
        router
    }

    pub fn list(&self) -> Vec<RouteInfo> {
        self.routes.iter().map(|(info, _)| info.clone()).collect()
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
    let r = super::assessment::routes(r);
    let r = super::ballot::routes(r);
    let r = super::rating::routes(r);
    let r = super::results::routes(r);
    let r = super::records::routes(r);
    let r = super::schemes::routes(r);
    let r = super::honor::routes(r);
    let r = super::photos::routes(r);
    let r = super::imports::routes(r);
    let r = super::citywide::routes(r);
    super::audit::routes(r)
}

fn static_and_health(r: Routes) -> Routes {
    r.public(urls::HEALTHZ, super::static_files::healthz)
        .public("/static/{file}", super::static_files::serve)
        .public("/favicon.ico", super::static_files::favicon)
}

/// The list of routes, for the access-control test and the docs.
pub fn list() -> Vec<RouteInfo> {
    all().list()
}

async fn guard(access: Access, req: Request, next: Next) -> Response {
    if access == Access::Public {
        return next.run(req).await;
    }
    let Some(user) = req.extensions().get::<CurrentUser>() else {
        return AppError::Unauthenticated {
            next: next_path(&req),
        }
        .into_response();
    };
    if access != Access::Account && user.must_change_password {
        return Redirect::to(urls::CHANGE_PASSWORD).into_response();
    }
    if access.allows(Some(Principal::of(user))) {
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
