// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILendingPoolAdmin} from "./ILendingPoolAdmin.sol";
import {ILendingPoolCore} from "./ILendingPoolCore.sol";
import {ILendingPoolExtension} from "./ILendingPoolExtension.sol";

/// @title ILendingPool
/// @notice A peer-to-pool NFT lender for one borrow asset. Lenders hold ERC-4626 shares of the pool; borrowers lock an
/// ERC-721 token or an ERC-1155 amount of an allow-listed collection and draw a loan at the kink rate.
/// @dev Loans are stored as one hash commitment each: callers pass the full `Loan` (emitted in every loan event) and
/// the pool checks `keccak256(abi.encode(loan))` against its record. This keeps every loan operation to one storage
/// slot and makes each loan's terms immutable by construction.
/// Warning: total assets come from tracked accounting, never from the token balance: donations change nothing.
/// Warning: the borrow asset must be a plain ERC-20 (no fee on transfer, no rebasing, no hooks). Inbound transfers
/// are checked and a short receipt reverts with `FeeOnTransfer`.
/// The pool is one proxy whose implementation is three contracts sharing one storage, each declaring the part of this
/// interface it serves: `LendingPool` (`ILendingPoolCore`: the hot paths), behind its fallback `LendingPoolExtension`
/// (`ILendingPoolExtension`: ERC-4626 reads, views, claims, the cold loan and auction paths), and behind that
/// `LendingPoolAdmin` (`ILendingPoolAdmin`: administration). Callers see one contract with this interface, which
/// declares nothing of its own (test/pool/Selectors.t.sol checks the three parts cover it exactly, once each).
/// Warning: valuation comes from one trusted `IValuation`; only borrow, renew and the start of a liquidation read
/// it. Repayment, reclaiming the NFT and withdrawing idle cash never depend on the oracle and are never pausable.
interface ILendingPool is ILendingPoolCore, ILendingPoolExtension, ILendingPoolAdmin {}
