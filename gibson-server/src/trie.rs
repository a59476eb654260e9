//! The key trie: one node per byte, children kept in the order their
//! branches were created, branches never removed (as in Gibson 1.2.1).

/// Index of a node in the arena; the root is 0.
pub(crate) type NodeId = u32;

#[derive(Debug)]
struct Node<T> {
    /// `(byte, child)` in branch-creation order.
    children: Vec<(u8, NodeId)>,
    item: Option<Box<T>>,
}

impl<T> Node<T> {
    fn new() -> Node<T> {
        Node {
            children: Vec::new(),
            item: None,
        }
    }

    fn child(&self, byte: u8) -> Option<NodeId> {
        self.children
            .iter()
            .find(|(b, _)| *b == byte)
            .map(|&(_, id)| id)
    }
}

/// A byte trie mapping keys to items.
#[derive(Debug)]
pub(crate) struct Trie<T> {
    nodes: Vec<Node<T>>,
}

impl<T> Trie<T> {
    pub(crate) fn new() -> Trie<T> {
        Trie {
            nodes: vec![Node::new()],
        }
    }

    /// Number of nodes, the root included.
    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The node spelling `key`, if its branch exists.
    pub(crate) fn find_node(&self, key: &[u8]) -> Option<NodeId> {
        let mut cur: NodeId = 0;
        for &b in key {
            cur = self.nodes[cur as usize].child(b)?;
        }
        Some(cur)
    }

    /// The node spelling `key`, creating missing branches.
    pub(crate) fn insert_node(&mut self, key: &[u8]) -> NodeId {
        let mut cur: NodeId = 0;
        for &b in key {
            cur = match self.nodes[cur as usize].child(b) {
                Some(id) => id,
                None => {
                    let id = self.nodes.len() as NodeId;
                    self.nodes.push(Node::new());
                    self.nodes[cur as usize].children.push((b, id));
                    id
                }
            };
        }
        cur
    }

    pub(crate) fn item(&self, id: NodeId) -> Option<&T> {
        self.nodes.get(id as usize)?.item.as_deref()
    }

    pub(crate) fn item_mut(&mut self, id: NodeId) -> Option<&mut T> {
        self.nodes.get_mut(id as usize)?.item.as_deref_mut()
    }

    /// Replaces the item of a node, returning the old one.
    pub(crate) fn set_item(&mut self, id: NodeId, item: T) -> Option<T> {
        let node = &mut self.nodes[id as usize];
        node.item.replace(Box::new(item)).map(|b| *b)
    }

    /// Removes the item of a node (the branch stays).
    pub(crate) fn take_item(&mut self, id: NodeId) -> Option<T> {
        self.nodes.get_mut(id as usize)?.item.take().map(|b| *b)
    }

    /// Every node holding an item whose key starts with `prefix`, in
    /// depth-first order: a node before its descendants, siblings in
    /// branch-creation order. `with_keys` also collects each key.
    pub(crate) fn walk(&self, prefix: &[u8], with_keys: bool) -> Vec<(NodeId, Vec<u8>)> {
        let mut out = Vec::new();
        let Some(start) = self.find_node(prefix) else {
            return out;
        };
        let mut key = prefix.to_vec();
        // (node, index of the next child to visit)
        let mut stack: Vec<(NodeId, usize)> = vec![(start, 0)];
        if self.nodes[start as usize].item.is_some() {
            out.push((start, if with_keys { key.clone() } else { Vec::new() }));
        }
        while let Some(top) = stack.last_mut() {
            let node = &self.nodes[top.0 as usize];
            if let Some(&(byte, child)) = node.children.get(top.1) {
                top.1 += 1;
                key.push(byte);
                if self.nodes[child as usize].item.is_some() {
                    out.push((child, if with_keys { key.clone() } else { Vec::new() }));
                }
                stack.push((child, 0));
            } else {
                stack.pop();
                if stack.is_empty() {
                    break;
                }
                key.pop();
            }
        }
        out
    }

    /// Every node holding an item, with its id (for the sweep).
    pub(crate) fn all_items(&self) -> impl Iterator<Item = (NodeId, &T)> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.item.as_deref().map(|it| (i as NodeId, it)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(t: &Trie<u32>, prefix: &[u8]) -> Vec<String> {
        t.walk(prefix, true)
            .into_iter()
            .map(|(_, k)| String::from_utf8(k).unwrap())
            .collect()
    }

    #[test]
    fn protocol_md_order() {
        let mut t = Trie::new();
        for (i, k) in ["o:b", "o:a", "o:ab", "o:B", "o:aa"].iter().enumerate() {
            let id = t.insert_node(k.as_bytes());
            t.set_item(id, i as u32);
        }
        assert_eq!(keys(&t, b"o:"), ["o:b", "o:a", "o:ab", "o:aa", "o:B"]);
        assert_eq!(keys(&t, b"o:a"), ["o:a", "o:ab", "o:aa"]);
        assert_eq!(keys(&t, b"x"), Vec::<String>::new());
        // branches survive deletion: re-adding keeps the old position
        let id = t.find_node(b"o:b").unwrap();
        t.take_item(id);
        assert_eq!(keys(&t, b"o:"), ["o:a", "o:ab", "o:aa", "o:B"]);
        let id = t.insert_node(b"o:b");
        t.set_item(id, 9);
        assert_eq!(keys(&t, b"o:"), ["o:b", "o:a", "o:ab", "o:aa", "o:B"]);
    }
}
