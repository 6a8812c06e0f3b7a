//! Components built from WIT text at test time, like `.wat` fixtures: a
//! dummy core module for the world (every function body `unreachable`), its
//! type embedded, encoded as a component. Enough for everything that reads a
//! component's type without calling it: check, pack, derivation, load.

use wit_parser::{ManglingAndAbi, PackageMetadata, Resolve};

/// A component of the only world in `wit`. With `docs`, it carries a
/// `package-docs` section with the WIT's doc comments (the world must then
/// be called `root`, the name a decoded component's world gets).
pub fn component_from_wit(wit: &str, docs: bool) -> Vec<u8> {
    let mut resolve = Resolve::default();
    let package = resolve
        .push_str("fixture.wit", wit)
        .expect("the fixture's WIT parses");
    let world = resolve
        .select_world(&[package], None)
        .expect("the fixture's WIT has one world");
    let mut module = wit_component::dummy_module(&resolve, world, ManglingAndAbi::Standard32);
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .expect("the world's type embeds");
    let mut bytes = wit_component::ComponentEncoder::default()
        .module(&module)
        .expect("the dummy module is a module")
        .validate(true)
        .encode()
        .expect("the component encodes");
    if docs {
        let data = PackageMetadata::extract(&resolve, package)
            .encode()
            .expect("the docs encode");
        custom_section(&mut bytes, PackageMetadata::SECTION_NAME, &data);
    }
    bytes
}

fn custom_section(out: &mut Vec<u8>, name: &str, data: &[u8]) {
    let mut body = Vec::new();
    leb(&mut body, name.len());
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(data);
    out.push(0);
    leb(out, body.len());
    out.extend_from_slice(&body);
}

fn leb(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}
