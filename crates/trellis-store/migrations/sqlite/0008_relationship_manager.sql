-- A customer's relationship manager (8.3.2): the person in the provider who owns the relationship.

ALTER TABLE customers ADD COLUMN relationship_manager_id BLOB REFERENCES users (id);
