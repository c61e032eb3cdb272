//! The owner's creation on a business without one, and the one-time codes that allow it.

use super::{CODE_ALPHABET, CODE_CHARS};
use crate::account::store::hash_password;
use crate::employees::Permission;
use crate::ids::EmployeeId;
use crate::store::{conflict_on_unique, now_ms, Db, StoreResult};
use rand::Rng;
use sha2::{Digest, Sha256};

fn hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.as_bytes()))
}

/// A code is good for a day: a server left running past that prints a new one when it
/// restarts, and an old log found later opens nothing.
const CODE_LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;

/// Whether an active employee holds an owner role.
pub async fn has_owner(db: &Db) -> StoreResult<bool> {
    let owners: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM employees e JOIN roles r ON r.id = e.role_id
          WHERE r.is_owner = 1 AND e.active = 1",
    )
    .fetch_one(&db.read)
    .await?;
    Ok(owners > 0)
}

/// A new one-time code when the business has no owner (kept as its hash beside those of
/// other processes, so any of them accepts it), printed as groups of four; `None` once an
/// owner exists.
pub async fn issue_code(db: &Db) -> StoreResult<Option<String>> {
    if has_owner(db).await? {
        return Ok(None);
    }
    let mut rng = rand::rngs::OsRng;
    let code: String = (0..CODE_CHARS)
        .map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char)
        .collect();
    let now = now_ms();
    sqlx::query("DELETE FROM setup_codes WHERE created_at < $1")
        .bind(now - CODE_LIFETIME_MS)
        .execute(&db.write)
        .await?;
    sqlx::query("INSERT INTO setup_codes (code_hash, created_at) VALUES ($1, $2)")
        .bind(hash(&code))
        .bind(now)
        .execute(&db.write)
        .await?;
    let groups: Vec<&str> = (0..CODE_CHARS)
        .step_by(4)
        .map(|i| &code[i..(i + 4).min(CODE_CHARS)])
        .collect();
    Ok(Some(groups.join("-")))
}

#[derive(Debug, PartialEq, Eq)]
pub enum FirstOwner {
    Created(EmployeeId),
    AlreadySetUp,
    WrongCode,
}

/// Whether `code` is a live one-time code: checked before the password is hashed, so that
/// guesses cost the server no argon2 work.
pub async fn code_is_live(db: &Db, code: &str) -> StoreResult<bool> {
    let live: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM setup_codes WHERE code_hash = $1 AND created_at >= $2")
            .bind(hash(code))
            .bind(now_ms() - CODE_LIFETIME_MS)
            .fetch_optional(&db.read)
            .await?;
    Ok(live.is_some())
}

/// Creates the first owner (and the Owner and Agent roles when missing) with a password
/// already hashed, if `code` is a live one-time code and nobody is an owner yet; all codes
/// are spent with it. One transaction: two people racing with two codes make one owner.
pub async fn create_first_owner(
    db: &Db,
    code: &str,
    email: &str,
    name: &str,
    password_hash: &str,
) -> StoreResult<FirstOwner> {
    let mut tx = db.write.begin().await?;
    let owners: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM employees e JOIN roles r ON r.id = e.role_id
          WHERE r.is_owner = 1 AND e.active = 1",
    )
    .fetch_one(&mut *tx)
    .await?;
    if owners > 0 {
        return Ok(FirstOwner::AlreadySetUp);
    }
    // Spends every code at once, and only if this one is among them and alive; on
    // PostgreSQL a second transaction doing the same waits for this one's row locks and
    // then finds nothing to delete.
    let spent = sqlx::query(
        "DELETE FROM setup_codes
          WHERE EXISTS (SELECT 1 FROM setup_codes WHERE code_hash = $1 AND created_at >= $2)",
    )
    .bind(hash(code))
    .bind(now_ms() - CODE_LIFETIME_MS)
    .execute(&mut *tx)
    .await?;
    if spent.rows_affected() == 0 {
        return Ok(FirstOwner::WrongCode);
    }
    let role = owner_role(&mut tx).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO employees (email, name, password_hash, role_id, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(email)
    .bind(name)
    .bind(password_hash)
    .bind(role)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| conflict_on_unique(e, "An employee with this email already exists."))?;
    tx.commit().await?;
    Ok(FirstOwner::Created(EmployeeId(id)))
}

/// The owner role's id, with the Owner and Agent roles created when the business has no
/// roles yet (the Agent role so that the first employee the owner adds has one to take).
async fn owner_role(conn: &mut sqlx::AnyConnection) -> StoreResult<i64> {
    let existing: Option<i64> =
        sqlx::query_scalar("SELECT id FROM roles WHERE is_owner = 1 ORDER BY id LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let now = now_ms();
    let owner: i64 = sqlx::query_scalar(
        "INSERT INTO roles (name, permissions, is_owner, created_at) VALUES ($1, $2, 1, $3) RETURNING id",
    )
    .bind("Owner")
    .bind(Permission::join(&Permission::ALL))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO roles (name, permissions, is_owner, created_at) VALUES ($1, $2, 0, $3)
         ON CONFLICT (name) DO NOTHING",
    )
    .bind("Agent")
    .bind(Permission::join(&[
        Permission::Conversations,
        Permission::Documents,
    ]))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(owner)
}

/// `confab owner create`: a new owner with a generated password, returned to be shown
/// once. Works whether or not the business has an owner (the command line is the
/// operator's, who holds the database anyway); spends any setup codes.
pub async fn create_owner(db: &Db, email: &str, name: &str) -> StoreResult<String> {
    let password = generate_password();
    let password_hash = hash_password(&password).await?;
    let mut tx = db.write.begin().await?;
    let role = owner_role(&mut tx).await?;
    sqlx::query(
        "INSERT INTO employees (email, name, password_hash, role_id, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(email)
    .bind(name)
    .bind(password_hash)
    .bind(role)
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict_on_unique(e, "An employee with this email already exists."))?;
    sqlx::query("DELETE FROM setup_codes")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(password)
}

/// 20 characters of the code alphabet (about 99 bits): typed once, then changed in the
/// profile.
fn generate_password() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char)
        .collect::<String>()
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_code_creates_one_owner_and_is_spent() {
        let (db, _path) = crate::store::temp_db("setup_codes").await;
        let code = issue_code(&db).await.unwrap().expect("no owner yet");
        let typed = super::super::normalise_code(&code).unwrap();
        assert!(code_is_live(&db, &typed).await.unwrap());
        assert!(!code_is_live(&db, "WRONGWRONGWRONGWRONG").await.unwrap());
        let long_password = hash_password("long password").await.unwrap();
        assert_eq!(
            create_first_owner(
                &db,
                "WRONGWRONGWRONGWRONG",
                "a@b.co",
                "Ana",
                "long password"
            )
            .await
            .unwrap(),
            FirstOwner::WrongCode
        );
        assert!(matches!(
            create_first_owner(&db, &typed, "a@b.co", "Ana", &long_password)
                .await
                .unwrap(),
            FirstOwner::Created(_)
        ));
        assert!(has_owner(&db).await.unwrap());
        assert_eq!(
            create_first_owner(&db, &typed, "b@b.co", "Bia", &long_password)
                .await
                .unwrap(),
            FirstOwner::AlreadySetUp
        );
        assert_eq!(issue_code(&db).await.unwrap(), None);
        let password = create_owner(&db, "c@b.co", "Caio").await.unwrap();
        assert_eq!(password.len(), 20);
        assert!(create_owner(&db, "c@b.co", "Caio").await.is_err(), "taken");
        db.close().await;
        let _ = std::fs::remove_dir_all(&_path);
    }
}
